//! Search filters with user input inside: every value goes through RFC 4515 escaping, so a user name
//! such as `*)(uid=*` matches only an entry literally named that, never every entry.

use std::borrow::Cow;

/// `value` escaped for an LDAP search filter (RFC 4515 §3): `*`, `(`, `)`, `\` and NUL become `\2a`,
/// `\28`, `\29`, `\5c` and `\00`. Other bytes, UTF-8 included, are valid as they are.
pub fn escape(value: &str) -> Cow<'_, str> {
    // ldap3's escaping is exactly RFC 4515's set; one definition, tested below against the RFC.
    ldap3::ldap_escape(value)
}

/// `template` with each `{name}` placeholder replaced by its escaped value, e.g.
/// `render("(uid={username})", &[("username", "bob")])` → `(uid=bob)`.
pub fn render(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), &escape(value));
    }
    out
}

/// True when `template` has balanced parentheses around a `{placeholder}`: checked at config time so
/// a typo is an error at start, not a failed search at every login.
pub fn is_valid_template(template: &str, placeholder: &str) -> bool {
    let mut depth: i32 = 0;
    for c in template.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0 && template.starts_with('(') && template.contains(&format!("{{{placeholder}}}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metacharacters_are_escaped() {
        assert_eq!(escape("*)(uid=*"), "\\2a\\29\\28uid=\\2a");
        assert_eq!(escape("a\\b"), "a\\5cb");
        assert_eq!(escape("nul\0byte"), "nul\\00byte");
        assert_eq!(escape("plain.name-1"), "plain.name-1");
    }

    #[test]
    fn non_ascii_passes_as_utf8() {
        assert_eq!(escape("jürgen"), "jürgen");
        assert_eq!(escape("名前*"), "名前\\2a");
    }

    #[test]
    fn injection_stays_inside_the_value() {
        let filter = render("(uid={username})", &[("username", "admin)(|(uid=*")]);
        assert_eq!(filter, "(uid=admin\\29\\28|\\28uid=\\2a)");
        // Still one balanced filter with the attacker's text as the value.
        assert!(is_valid_template(
            &filter.replace("admin", "{username}"),
            "username"
        ));
        let filter = render("(member={dn})", &[("dn", "cn=a\\,b (x),dc=org")]);
        assert_eq!(filter, "(member=cn=a\\5c,b \\28x\\29,dc=org)");
    }

    #[test]
    fn templates_are_checked() {
        assert!(is_valid_template("(uid={username})", "username"));
        assert!(is_valid_template(
            "(&(objectClass=person)(sAMAccountName={username}))",
            "username"
        ));
        assert!(!is_valid_template("uid={username}", "username"));
        assert!(!is_valid_template("(uid={username}", "username"));
        assert!(!is_valid_template("(uid=x)", "username"));
    }
}
