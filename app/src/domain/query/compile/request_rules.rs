//! homer-app's request rules as a test validator (`docs/homer7-api.md` §3.1–§3.4), and property
//! tests: arbitrary forms never panic, generated valid expressions compile to requests that
//! pass the validator.

use proptest::prelude::*;

use super::tests::{form, now, run, utc};
use super::*;

/// Field ids homer-app 1.5.20 accepts for `key` (`FieldsMapping1call` / `FieldsMapping1default`
/// plus the always-accepted names, §3.2).
fn allowed(key: &str, name: &str) -> bool {
    const CALL: [&str; 24] = [
        "sid",
        "data_header.method",
        "protocol_header.correlation_id",
        "data_header.callid",
        "data_header.ruri_user",
        "data_header.from_user",
        "data_header.to_user",
        "data_header.user_agent",
        "protocol_header.srcIp",
        "protocol_header.dstIp",
        "protocol_header.capturePass",
        "protocol_header.srcPort",
        "protocol_header.dstPort",
        "protocol_header.timeSeconds",
        "protocol_header.timeUseconds",
        "protocol_header.payloadType",
        "protocol_header.protocolFamily",
        "protocol_header.protocol",
        "protocol_header.captureId",
        "data_header.cseq",
        "data_header.from_tag",
        "data_header.protocol",
        "raw",
        "limit",
    ];
    let always = ["limit", "smartinput", "raw", "id", "sid", "create_date"];
    if always.contains(&name) {
        return true;
    }
    match key {
        "1_call" => CALL.contains(&name),
        "1_default" | "1_registration" => CALL.contains(&name) && name != "data_header.ruri_user",
        _ => false,
    }
}

/// Checks one request against homer-app's pitfalls; returns the first rule broken.
pub(super) fn validate(request: &SearchRequest) -> Result<(), String> {
    let json = serde_json::to_value(request).map_err(|e| e.to_string())?;
    let from = json["timestamp"]["from"]
        .as_i64()
        .ok_or("from is not an integer")?;
    let to = json["timestamp"]["to"]
        .as_i64()
        .ok_or("to is not an integer")?;
    if from >= to {
        return Err("empty time range".into());
    }
    if json["param"]["orlogic"] != serde_json::json!(false) {
        return Err("orlogic must be false".into());
    }
    if !json["param"]["location"]["node"].is_array() {
        return Err("location.node must be an array".into());
    }
    let search = json["param"]["search"]
        .as_object()
        .ok_or("search is not an object")?;
    if search.len() != 1 {
        return Err(format!("{} search keys", search.len()));
    }
    let (key, elements) = search.iter().next().ok_or("no key")?;
    if crate::domain::homer::ProfileKey::parse(key).is_none() {
        return Err(format!("bad key {key}"));
    }
    let elements = elements.as_array().ok_or("filters are not an array")?;
    let last = elements.len().checked_sub(1).ok_or("no elements")?;
    let mut smartinput = false;
    for (i, e) in elements.iter().enumerate() {
        let name = e["name"].as_str().ok_or("name is not a string")?;
        let value = e["value"].as_str().ok_or("value is not a string")?;
        let kind = e["type"].as_str().ok_or("type is not a string")?;
        if kind != "string" && kind != "integer" {
            return Err(format!("type {kind}"));
        }
        if value.is_empty() {
            return Err(format!("empty value for {name}"));
        }
        if !allowed(key, name) {
            return Err(format!("{name} not allowed in {key}"));
        }
        if !name.contains('.') && !allowed("", name) && name != "sid" {
            return Err(format!("short field name {name}"));
        }
        if name == "limit" {
            if i != last {
                return Err("limit is not last".into());
            }
            let n: u32 = value.parse().map_err(|_| "limit is not a number")?;
            if n == 0 {
                return Err("limit 0".into());
            }
            continue;
        }
        smartinput |= name == "smartinput";
        let body = value.strip_prefix("!=").unwrap_or(value);
        if body.is_empty() || body.contains(['\'', '&', ';']) {
            return Err(format!("value {value:?} is mangled by homer-app"));
        }
        if body.starts_with("!=") || body.starts_with("||") || body == "isEmpty" || body == "isNull"
        {
            return Err(format!("value {value:?} is homer syntax"));
        }
    }
    if elements.last().and_then(|e| e["name"].as_str()) != Some("limit") {
        return Err("no trailing limit".into());
    }
    if smartinput && elements.len() != 2 {
        return Err("smartinput combined with other filters".into());
    }
    Ok(())
}

/// Generates valid expressions as text: comparisons with safe values, joined by and/or, with
/// random parentheses, spacing and keyword case.
fn arb_expression() -> impl Strategy<Value = String> {
    let field = prop::sample::select(vec![
        "from_user",
        "to_user",
        "ruri_user",
        "user_agent",
        "ua",
        "cseq",
        "method",
        "call_id",
        "sid",
        "status",
        "src_ip",
        "dst_ip",
        "source_ip",
        "x_cid",
        "src_port",
        "dst_port",
    ]);
    let value = "[A-Za-z0-9+@._%-][A-Za-z0-9+@._% -]{0,11}";
    let status = prop::sample::select(vec!["200", "486", "4%", "1%"]);
    let op = prop::sample::select(vec!["=", "!=", " = ", " != "]);
    let leaf = (field, op, value, status).prop_map(|(field, op, value, status)| {
        let value = if field == "status" {
            status.to_owned()
        } else if field.ends_with("_port") {
            "5060".to_owned()
        } else {
            value
        };
        format!("{field}{op}'{value}'")
    });
    leaf.prop_recursive(4, 12, 3, |inner| {
        (
            inner.clone(),
            prop::sample::select(vec![" and ", " AND ", " or ", " Or "]),
            inner,
            any::<bool>(),
        )
            .prop_map(|(a, join, b, paren)| {
                let joined = format!("{a}{join}{b}");
                if paren {
                    format!("({joined})")
                } else {
                    joined
                }
            })
    })
}

proptest! {
    #[test]
    fn arbitrary_forms_never_panic(
        query in any::<String>(),
        number in any::<String>(),
        since in any::<String>(),
        at in "[0-9a-z :-]{0,20}",
        methods in proptest::collection::vec(any::<String>(), 0..3),
    ) {
        let f = SearchForm { query, number, since, at, methods, ..SearchForm::default() };
        let _ = run(&f);
        let _ = compile(&f, ResultView::Calls, now(), &utc());
    }

    #[test]
    fn query_like_text_never_panics(query in "[()'\" =!<>a-z_%&;]{0,40}") {
        if let Err(err) = run(&form(&query)) {
            prop_assert!(err.span.end <= query.len());
            prop_assert!(query.get(err.span.clone()).is_some());
        }
    }

    #[test]
    fn generated_expressions_compile_to_valid_requests(
        query in arb_expression(),
        number in prop::option::of("\\+?[0-9]{3,12}"),
        profile in prop::sample::select(Profile::SIP.to_vec()),
    ) {
        let f = SearchForm {
            query: query.clone(),
            number: number.unwrap_or_default(),
            profile,
            ..SearchForm::default()
        };
        match run(&f) {
            Ok(compiled) => {
                prop_assert!(!compiled.requests.is_empty());
                prop_assert!(compiled.requests.len() <= MAX_REQUESTS);
                for request in &compiled.requests {
                    if let Err(rule) = validate(request) {
                        return Err(TestCaseError::fail(format!("{query}: {rule}")));
                    }
                }
            }
            Err(err) => prop_assert!(
                matches!(
                    err.kind,
                    QueryErrorKind::TooManyAlternatives { .. }
                        | QueryErrorKind::FieldNotInProfile { .. }
                        | QueryErrorKind::NegatedNumber(_)
                ),
                "{query}: {err}"
            ),
        }
    }
}
