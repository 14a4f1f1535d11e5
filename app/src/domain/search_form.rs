//! `SearchForm`: the search and calls views' state, and its URL query-string form.
//!
//! The URL is the single source of view state, so the form encodes to and decodes from a query
//! string. Defaults are left out of the URL; list values repeat their key
//! (`method=INVITE&method=BYE`). Percent-encoding is [`crate::domain::percent`]'s. Pure: no I/O.

use std::fmt;

use crate::domain::percent::{percent_decode, percent_encode};

/// Which HOMER table family is searched: the one profile type, shared with the store.
pub use crate::domain::homer::Profile;

/// Display order of results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SortOrder {
    /// Newest first.
    #[default]
    NewestFirst,
    /// Oldest first.
    OldestFirst,
}

impl SortOrder {
    /// The URL name.
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::NewestFirst => "newest",
            SortOrder::OldestFirst => "oldest",
        }
    }

    /// Reads a URL name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "newest" => Some(SortOrder::NewestFirst),
            "oldest" => Some(SortOrder::OldestFirst),
            _ => None,
        }
    }
}

/// The search form. Blank text fields are "not set".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchForm {
    /// hepscope backend name (which HOMER or the embedded store); blank = the default backend.
    pub backend: String,
    /// Phone number matched against From or To user, with and without a leading `+`.
    pub number: String,
    /// From user (`%` wildcard allowed).
    pub from_user: String,
    /// To user.
    pub to_user: String,
    /// User-Agent.
    pub user_agent: String,
    /// Call-ID.
    pub call_id: String,
    /// Query expression (`from_user = '1001' and status = '486'`).
    pub query: String,
    /// Start: a duration back from now or an absolute time.
    pub since: String,
    /// End: a duration back from now or an absolute time.
    pub until: String,
    /// Centre of a ±5 min search; excludes `since`/`until`.
    pub at: String,
    /// IANA zone for absolute times; blank = the browser's zone.
    pub tz: String,
    /// Methods or reply codes kept after the search.
    pub methods: Vec<String>,
    /// Row (messages view) or call (calls view) limit; `None` = the view's default.
    pub limit: Option<u32>,
    /// Table family searched.
    pub profile: Profile,
    /// Display order.
    pub sort: SortOrder,
    /// Call-IDs selected in the results.
    pub selected: Vec<String>,
}

/// A URL value that does not fit its key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid value '{value}' for '{key}' in the url; {hint}")]
pub struct FormError {
    /// The URL key.
    pub key: &'static str,
    /// The decoded value.
    pub value: String,
    /// What would be accepted.
    pub hint: &'static str,
}

const TEXT_KEYS: [&str; 11] = [
    "backend",
    "number",
    "from_user",
    "to_user",
    "user_agent",
    "call_id",
    "query",
    "since",
    "until",
    "at",
    "tz",
];

impl SearchForm {
    fn text_fields(&self) -> [&String; 11] {
        [
            &self.backend,
            &self.number,
            &self.from_user,
            &self.to_user,
            &self.user_agent,
            &self.call_id,
            &self.query,
            &self.since,
            &self.until,
            &self.at,
            &self.tz,
        ]
    }

    fn text_field_mut(&mut self, key: &str) -> Option<&mut String> {
        Some(match key {
            "backend" => &mut self.backend,
            "number" => &mut self.number,
            "from_user" => &mut self.from_user,
            "to_user" => &mut self.to_user,
            "user_agent" => &mut self.user_agent,
            "call_id" => &mut self.call_id,
            "query" => &mut self.query,
            "since" => &mut self.since,
            "until" => &mut self.until,
            "at" => &mut self.at,
            "tz" => &mut self.tz,
            _ => return None,
        })
    }

    /// The form as `(key, value)` pairs, defaults left out, in a fixed order.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        for (key, value) in TEXT_KEYS.iter().zip(self.text_fields()) {
            if !value.is_empty() {
                pairs.push((*key, value.clone()));
            }
        }
        pairs.extend(self.methods.iter().map(|m| ("method", m.clone())));
        if let Some(limit) = self.limit {
            pairs.push(("limit", limit.to_string()));
        }
        if self.profile != Profile::default() {
            pairs.push(("profile", self.profile.as_str().to_owned()));
        }
        if self.sort != SortOrder::default() {
            pairs.push(("sort", self.sort.as_str().to_owned()));
        }
        pairs.extend(self.selected.iter().map(|c| ("selected", c.clone())));
        pairs
    }

    /// The form as a URL query string without the leading `?` (empty for the default form).
    pub fn to_query_string(&self) -> String {
        let parts: Vec<String> = self
            .to_pairs()
            .into_iter()
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(&v)))
            .collect();
        parts.join("&")
    }

    /// Builds a form from decoded `(key, value)` pairs. Unknown keys are ignored; a repeated
    /// text key keeps its last value; `method` and `selected` accumulate.
    ///
    /// # Errors
    /// [`FormError`] when `limit`, `profile` or `sort` holds a value they cannot take.
    pub fn from_pairs<'a, I>(pairs: I) -> Result<Self, FormError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut form = Self::default();
        for (key, value) in pairs {
            if let Some(field) = form.text_field_mut(key) {
                value.clone_into(field);
                continue;
            }
            match key {
                "method" => form.methods.push(value.to_owned()),
                "selected" => form.selected.push(value.to_owned()),
                "limit" => {
                    form.limit = Some(value.parse().map_err(|_| FormError {
                        key: "limit",
                        value: value.to_owned(),
                        hint: "use a whole number such as 200",
                    })?);
                }
                "profile" => {
                    form.profile = Profile::parse(value).ok_or_else(|| FormError {
                        key: "profile",
                        value: value.to_owned(),
                        hint: "use call, registration or other",
                    })?;
                }
                "sort" => {
                    form.sort = SortOrder::parse(value).ok_or_else(|| FormError {
                        key: "sort",
                        value: value.to_owned(),
                        hint: "use newest or oldest",
                    })?;
                }
                _ => {}
            }
        }
        Ok(form)
    }

    /// Builds a form from a raw query string (a leading `?` is allowed).
    ///
    /// # Errors
    /// As [`SearchForm::from_pairs`].
    pub fn from_query_string(query: &str) -> Result<Self, FormError> {
        let query = query.strip_prefix('?').unwrap_or(query);
        let decoded: Vec<(String, String)> = query
            .split('&')
            .filter(|part| !part.is_empty())
            .map(|part| {
                let (k, v) = part.split_once('=').unwrap_or((part, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect();
        Self::from_pairs(decoded.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }
}

impl fmt::Display for SearchForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_query_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn default_form_encodes_to_empty_string() {
        assert_eq!(SearchForm::default().to_query_string(), "");
        assert_eq!(
            SearchForm::from_query_string("").unwrap(),
            SearchForm::default()
        );
    }

    #[test]
    fn form_encodes_set_fields_in_fixed_order() {
        let form = SearchForm {
            number: "+49 30".into(),
            query: "status = '486' & x".into(),
            since: "2h".into(),
            methods: vec!["INVITE".into(), "BYE".into()],
            limit: Some(50),
            profile: Profile::Registration,
            sort: SortOrder::OldestFirst,
            selected: vec!["a@b;c".into()],
            ..SearchForm::default()
        };
        let qs = form.to_query_string();
        assert_eq!(
            qs,
            "number=%2B49%2030&query=status%20%3D%20%27486%27%20%26%20x&since=2h&method=INVITE&\
             method=BYE&limit=50&profile=registration&sort=oldest&selected=a%40b%3Bc"
        );
        assert_eq!(
            SearchForm::from_query_string(&format!("?{qs}")).unwrap(),
            form
        );
    }

    #[test]
    fn from_pairs_ignores_unknown_keys_and_rejects_bad_values() {
        let form =
            SearchForm::from_pairs([("zzz", "1"), ("number", "1"), ("number", "2")]).unwrap();
        assert_eq!(form.number, "2");
        let err = SearchForm::from_pairs([("limit", "-1")]).unwrap_err();
        assert_eq!(err.key, "limit");
        assert!(err
            .to_string()
            .starts_with("invalid value '-1' for 'limit'"));
        assert!(SearchForm::from_pairs([("profile", "CALL")]).is_err());
        assert!(SearchForm::from_pairs([("sort", "up")]).is_err());
    }

    fn arb_form() -> impl Strategy<Value = SearchForm> {
        let text = || any::<String>();
        (
            (text(), text(), text(), text(), text(), text()),
            (text(), text(), text(), text(), text()),
            (
                proptest::collection::vec(any::<String>(), 0..3),
                proptest::option::of(any::<u32>()),
                prop::sample::select(Profile::SIP.to_vec()),
                prop::bool::ANY,
                proptest::collection::vec(any::<String>(), 0..3),
            ),
        )
            .prop_map(|(a, b, c)| SearchForm {
                backend: a.0,
                number: a.1,
                from_user: a.2,
                to_user: a.3,
                user_agent: a.4,
                call_id: a.5,
                query: b.0,
                since: b.1,
                until: b.2,
                at: b.3,
                tz: b.4,
                methods: c.0,
                limit: c.1,
                profile: c.2,
                sort: if c.3 {
                    SortOrder::NewestFirst
                } else {
                    SortOrder::OldestFirst
                },
                selected: c.4,
            })
    }

    proptest! {
        #[test]
        fn form_round_trips_through_query_string(form in arb_form()) {
            let qs = form.to_query_string();
            prop_assert_eq!(SearchForm::from_query_string(&qs).unwrap(), form);
        }

        #[test]
        fn decoding_arbitrary_query_never_panics(text in any::<String>()) {
            let _ = SearchForm::from_query_string(&text);
        }
    }
}
