//! The network, domain and correlation fields: each compiles to HOMER 7's mapping id with the
//! mapping's type; domain fields need a backend mapping that lists them; ports are numbers.

use super::request_rules::validate;
use super::tests::{form, now, run, utc};
use super::*;
use crate::domain::homer::search::FieldType;

/// Each request's filters (limit excluded) as `name value type` strings.
fn typed_filters(compiled: &CompiledSearch) -> Vec<Vec<String>> {
    compiled
        .requests
        .iter()
        .map(|r| {
            let (_, elements) = r.single_search().unwrap();
            elements
                .iter()
                .filter(|e| !e.is_limit())
                .map(|e| {
                    let kind = match e.field_type {
                        FieldType::Integer => "integer",
                        _ => "string",
                    };
                    format!("{} {} {kind}", e.name, e.value)
                })
                .collect()
        })
        .collect()
}

/// A backend mapping whose `1_call` row lists `ids` (besides the always-accepted names).
fn mapping_with(ids: &[&str]) -> MappingList {
    let fields: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| serde_json::json!({"id": id, "type": "string", "name": id}))
        .collect();
    serde_json::from_value(serde_json::json!({
        "count": 1,
        "data": [{"profile": "call", "hepid": 1, "hep_alias": "SIP", "fields_mapping": fields}]
    }))
    .unwrap()
}

#[test]
fn network_and_correlation_fields_compile_to_homer_default_ids() {
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "src_ip = '10.0.0.5'",
            vec!["protocol_header.srcIp 10.0.0.5 string"],
        ),
        (
            "source_ip = '10.0.%'",
            vec!["protocol_header.srcIp 10.0.% string"],
        ),
        (
            "dst_ip != '2001:db8::1'",
            vec!["protocol_header.dstIp !=2001:db8::1 string"],
        ),
        (
            "destination_ip = '192.168.1.9'",
            vec!["protocol_header.dstIp 192.168.1.9 string"],
        ),
        (
            "src_port = 5060",
            vec!["protocol_header.srcPort 5060 integer"],
        ),
        (
            "dst_port = '5080'",
            vec!["protocol_header.dstPort 5080 integer"],
        ),
        (
            "x_cid = 'leg-a@carrier'",
            vec!["protocol_header.correlation_id leg-a@carrier string"],
        ),
        (
            "src_ip = '10.0.0.5' and dst_port = 5060",
            vec![
                "protocol_header.srcIp 10.0.0.5 string",
                "protocol_header.dstPort 5060 integer",
            ],
        ),
    ];
    for (query, expected) in cases {
        let compiled = run(&form(query)).unwrap();
        assert_eq!(typed_filters(&compiled), vec![expected], "query {query:?}");
        for request in &compiled.requests {
            validate(request).unwrap();
        }
    }
}

#[test]
fn a_port_filter_is_the_exact_homer_request() {
    let compiled = run(&form("src_ip = '10.0.0.5' and src_port = 5060")).unwrap();
    let json = serde_json::to_value(&compiled.requests[0]).unwrap();
    assert_eq!(
        json["param"]["search"],
        serde_json::json!({"1_call": [
            {"name": "protocol_header.srcIp", "value": "10.0.0.5", "type": "string", "hepid": 1},
            {"name": "protocol_header.srcPort", "value": "5060", "type": "integer", "hepid": 1},
            {"name": "limit", "value": "200", "type": "string", "hepid": 1}
        ]})
    );
}

#[test]
fn domain_fields_need_a_backend_mapping_that_lists_them() {
    let fields = [
        ("ruri_domain", Field::RuriDomain),
        ("from_domain", Field::FromDomain),
        ("to_domain", Field::ToDomain),
    ];
    let mapped = mapping_with(&[
        "data_header.ruri_domain",
        "data_header.from_domain",
        "data_header.to_domain",
    ]);
    let unmapped = mapping_with(&["data_header.from_user"]);
    for (name, field) in fields {
        let f = form(&format!("{name} = 'example.%'"));
        // HOMER 7's default mapping lacks them: homer-app would drop the filter silently.
        let err = run(&f).unwrap_err();
        assert_eq!(
            err,
            QueryError::query(
                0..name.len(),
                QueryErrorKind::FieldNotMapped {
                    field,
                    profile: "1_call".into()
                }
            )
        );
        assert!(err.to_string().contains(field.homer_id()), "{err}");
        let with =
            |m: &MappingList| compile_with_mapping(&f, ResultView::Messages, now(), &utc(), m);
        let compiled = with(&mapped).unwrap();
        assert_eq!(
            typed_filters(&compiled),
            vec![vec![format!("{} example.% string", field.homer_id())]]
        );
        assert!(matches!(
            with(&unmapped).unwrap_err().kind,
            QueryErrorKind::FieldNotMapped { .. }
        ));
    }
    // A mapping without the profile's row falls back to HOMER 7's default mapping.
    let registration = SearchForm {
        profile: Profile::Registration,
        ..form("src_ip = '10.0.0.5' and ruri_user = '1'")
    };
    let err = compile_with_mapping(&registration, ResultView::Messages, now(), &utc(), &mapped)
        .unwrap_err();
    assert!(matches!(err.kind, QueryErrorKind::FieldNotInProfile { .. }));
}

#[test]
fn ports_must_be_numbers_and_cannot_be_negated() {
    use QueryErrorKind as K;
    let cases: Vec<(&str, std::ops::Range<usize>, K)> = vec![
        ("src_port = '50%'", 11..16, K::InvalidPort("50%".into())),
        ("dst_port = abc", 11..14, K::InvalidPort("abc".into())),
        ("src_port = 70000", 11..16, K::InvalidPort("70000".into())),
        ("src_port = 0", 11..12, K::InvalidPort("0".into())),
        ("dst_port = '+5'", 11..15, K::InvalidPort("+5".into())),
        ("dst_port != 5060", 0..16, K::NegatedNumber(Field::DstPort)),
    ];
    for (query, span, kind) in cases {
        assert_eq!(
            run(&form(query)).unwrap_err(),
            QueryError::query(span, kind),
            "{query}"
        );
    }
}

#[test]
fn unknown_field_error_lists_the_new_fields() {
    let err = run(&form("source_port = 1")).unwrap_err();
    let text = err.to_string();
    for name in [
        "src_ip",
        "dst_ip",
        "src_port",
        "dst_port",
        "ruri_domain",
        "from_domain",
        "to_domain",
        "x_cid",
        "source_ip",
        "destination_ip",
    ] {
        assert!(text.contains(name), "{name} missing from {text}");
    }
}
