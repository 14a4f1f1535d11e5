//! Case-table tests of `compile`: filters per request, errors with spans, and the
//! client-side finishing steps.

use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::request_rules::validate;
use super::*;
use crate::domain::calls::CallStatus;
use crate::domain::homer::search::FieldType;

pub(super) fn now() -> Timestamp {
    "2026-02-04T16:00:00Z".parse().unwrap()
}

pub(super) fn utc() -> TimeZone {
    TimeZone::UTC
}

pub(super) fn form(query: &str) -> SearchForm {
    SearchForm {
        query: query.into(),
        ..SearchForm::default()
    }
}

pub(super) fn run(form: &SearchForm) -> Result<CompiledSearch, QueryError> {
    compile(form, ResultView::Messages, now(), &utc())
}

/// Each request's filters (limit excluded) as `name value` strings.
fn filters(compiled: &CompiledSearch) -> Vec<Vec<String>> {
    compiled
        .requests
        .iter()
        .map(|r| {
            let (_, elements) = r.single_search().unwrap();
            elements
                .iter()
                .filter(|e| !e.is_limit())
                .map(|e| format!("{} {}", e.name, e.value))
                .collect()
        })
        .collect()
}

#[test]
fn compile_case_table() {
    let cases: Vec<(&str, Vec<Vec<&str>>)> = vec![
        ("", vec![vec![]]),
        (
            "from_user = '1001'",
            vec![vec!["data_header.from_user 1001"]],
        ),
        (
            "ua != 'Phone%'",
            vec![vec!["data_header.user_agent !=Phone%"]],
        ),
        ("status = '486'", vec![vec!["data_header.method 486"]]),
        ("status = 4%", vec![vec!["data_header.method 4%"]]),
        ("method = invite", vec![vec!["data_header.method INVITE"]]),
        ("call_id = 'a@b'", vec![vec!["sid a@b"]]),
        ("cseq = '1 INVITE'", vec![vec!["data_header.cseq 1 INVITE"]]),
        (
            "from_user = '1' or to_user = '2'",
            vec![
                vec!["data_header.from_user 1"],
                vec!["data_header.to_user 2"],
            ],
        ),
        (
            "(from_user = '1' or to_user = '2') and status != '200'",
            vec![
                vec!["data_header.from_user 1", "data_header.method !=200"],
                vec!["data_header.to_user 2", "data_header.method !=200"],
            ],
        ),
        (
            "from_user = '1' or to_user = '2' and ruri_user = '3'",
            vec![
                vec!["data_header.from_user 1"],
                vec!["data_header.to_user 2", "data_header.ruri_user 3"],
            ],
        ),
    ];
    for (query, expected) in cases {
        let compiled = run(&form(query)).unwrap();
        assert_eq!(filters(&compiled), expected, "query {query:?}");
        for request in &compiled.requests {
            validate(request).unwrap();
        }
    }
}

#[test]
fn number_expands_to_from_or_to_with_and_without_plus() {
    let f = SearchForm {
        number: " +4930123 ".into(),
        user_agent: "Phone%".into(),
        ..SearchForm::default()
    };
    let compiled = run(&f).unwrap();
    assert_eq!(
        filters(&compiled),
        vec![
            vec![
                "data_header.from_user 4930123",
                "data_header.user_agent Phone%"
            ],
            vec![
                "data_header.from_user +4930123",
                "data_header.user_agent Phone%"
            ],
            vec![
                "data_header.to_user 4930123",
                "data_header.user_agent Phone%"
            ],
            vec![
                "data_header.to_user +4930123",
                "data_header.user_agent Phone%"
            ],
        ]
    );
    let wildcard = SearchForm {
        number: "%123".into(),
        ..SearchForm::default()
    };
    assert_eq!(run(&wildcard).unwrap().requests.len(), 2);
}

#[test]
fn convenience_filters_and_query_are_anded() {
    let f = SearchForm {
        from_user: "1001".into(),
        to_user: "2002".into(),
        call_id: "abc@host".into(),
        query: "status = '486' or status = '487'".into(),
        ..SearchForm::default()
    };
    let compiled = run(&f).unwrap();
    assert_eq!(
        filters(&compiled),
        vec![
            vec![
                "data_header.from_user 1001",
                "data_header.to_user 2002",
                "sid abc@host",
                "data_header.method 486"
            ],
            vec![
                "data_header.from_user 1001",
                "data_header.to_user 2002",
                "sid abc@host",
                "data_header.method 487"
            ],
        ]
    );
}

#[test]
fn compile_sets_profile_limit_range_and_timezone() {
    let f = SearchForm {
        profile: Profile::Registration,
        since: "1h".into(),
        methods: vec!["register".into()],
        ..SearchForm::default()
    };
    let compiled = run(&f).unwrap();
    let request = &compiled.requests[0];
    let (key, elements) = request.single_search().unwrap();
    assert_eq!(key, "1_registration");
    assert_eq!(elements, &[FilterElement::limit(DEFAULT_MESSAGE_LIMIT)]);
    assert_eq!(elements[0].field_type, FieldType::String);
    assert_eq!(request.timestamp.to - request.timestamp.from, 3_600_000);
    assert_eq!(request.param.timezone.as_ref().unwrap().value, 0);
    assert_eq!(compiled.methods.methods(), ["REGISTER"]);

    let calls = compile(&SearchForm::default(), ResultView::Calls, now(), &utc()).unwrap();
    assert_eq!(calls.limit, DEFAULT_CALL_LIMIT);
    assert_eq!(
        calls.requests[0].row_limit(),
        DEFAULT_CALL_LIMIT * ROWS_PER_CALL
    );
    let custom = SearchForm {
        limit: Some(1000),
        ..SearchForm::default()
    };
    let calls = compile(&custom, ResultView::Calls, now(), &utc()).unwrap();
    assert_eq!(calls.requests[0].row_limit(), MAX_CALL_VIEW_ROWS);
}

#[test]
fn compile_errors_name_input_and_span() {
    use QueryErrorKind as K;
    let cases: Vec<(SearchForm, Input, std::ops::Range<usize>, K)> = vec![
        (
            form("foo = '1'"),
            Input::Query,
            0..3,
            K::UnknownField("foo".into()),
        ),
        (form("from_user = ''"), Input::Query, 12..14, K::EmptyValue),
        (
            form("from_user = 'o'brien'"),
            Input::Query,
            20..21,
            K::UnterminatedString,
        ),
        (
            form("ua = \"a&b\""),
            Input::Query,
            7..8,
            K::UnsupportedChar('&'),
        ),
        (
            form("ua = 'a;b'"),
            Input::Query,
            7..8,
            K::UnsupportedChar(';'),
        ),
        (
            form("ua = '!=x'"),
            Input::Query,
            5..10,
            K::ReservedValue("!=x".into()),
        ),
        (
            form("ua = isEmpty"),
            Input::Query,
            5..12,
            K::ReservedValue("isEmpty".into()),
        ),
        (
            form("status = 'busy'"),
            Input::Query,
            9..15,
            K::InvalidStatus("busy".into()),
        ),
        (
            form("status = '4866'"),
            Input::Query,
            9..15,
            K::InvalidStatus("4866".into()),
        ),
        (
            SearchForm {
                profile: Profile::SipDefault,
                ..form("ruri_user = '1'")
            },
            Input::Query,
            0..9,
            K::FieldNotInProfile {
                field: Field::RuriUser,
                profile: "1_default".into(),
            },
        ),
        (
            SearchForm {
                number: "  +".into(),
                ..SearchForm::default()
            },
            Input::Number,
            2..3,
            K::EmptyValue,
        ),
        (
            SearchForm {
                from_user: " o'neil".into(),
                ..SearchForm::default()
            },
            Input::FromUser,
            2..3,
            K::UnsupportedChar('\''),
        ),
        (
            SearchForm {
                limit: Some(0),
                ..SearchForm::default()
            },
            Input::Limit,
            0..1,
            K::ZeroLimit,
        ),
        (
            SearchForm {
                methods: vec!["INVITE".into(), "BAD METHOD".into()],
                ..SearchForm::default()
            },
            Input::Methods,
            0..10,
            K::InvalidMethod("BAD METHOD".into()),
        ),
        (
            SearchForm {
                at: "1h".into(),
                since: "2h".into(),
                ..SearchForm::default()
            },
            Input::At,
            0..2,
            K::AtWithRange,
        ),
    ];
    for (f, input, span, kind) in cases {
        let err = run(&f).unwrap_err();
        assert_eq!(
            (err.input, err.span.clone(), err.kind.clone()),
            (input, span, kind),
            "{f:?}"
        );
        let text = err.to_string();
        assert!(text.starts_with(|c: char| c.is_ascii_lowercase()), "{text}");
    }
}

#[test]
fn too_many_alternatives_is_rejected() {
    let query = (0..6)
        .map(|i| format!("(from_user = '{i}' or to_user = '{i}')"))
        .collect::<Vec<_>>()
        .join(" and ");
    let err = run(&form(&query)).unwrap_err();
    assert_eq!(
        err.kind,
        QueryErrorKind::TooManyAlternatives {
            needed: 64,
            max: MAX_REQUESTS
        }
    );
    let f = SearchForm {
        number: "123".into(),
        query: (0..9)
            .map(|i| format!("ua = '{i}'"))
            .collect::<Vec<_>>()
            .join(" or "),
        ..SearchForm::default()
    };
    let err = run(&f).unwrap_err();
    assert_eq!(
        err.kind,
        QueryErrorKind::TooManyAlternatives {
            needed: 36,
            max: MAX_REQUESTS
        }
    );
}

fn answer_row(id: i64, sid: &str, secs: i64, method: &str, cseq: &str) -> HomerRow {
    HomerRow {
        id: Some(id),
        sid: sid.into(),
        dbnode: "localnode".into(),
        table: "hep_proto_1_call".into(),
        time_seconds: Some(secs),
        time_useconds: Some(0),
        method: method.into(),
        cseq: cseq.into(),
        ..HomerRow::default()
    }
}

#[test]
fn finish_rows_merges_filters_truncates_and_sorts() {
    let f = SearchForm {
        methods: vec!["INVITE".into()],
        limit: Some(2),
        sort: SortOrder::OldestFirst,
        ..SearchForm::default()
    };
    let compiled = run(&f).unwrap();
    let rows = compiled.finish_rows([
        vec![
            answer_row(1, "a", 10, "INVITE", "1 INVITE"),
            answer_row(2, "a", 11, "200", "1 INVITE"),
            answer_row(3, "a", 12, "ACK", "1 ACK"),
        ],
        vec![
            answer_row(2, "a", 11, "200", "1 INVITE"),
            answer_row(4, "b", 20, "INVITE", "1 INVITE"),
        ],
    ]);
    let ids: Vec<_> = rows.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![Some(2), Some(4)]);
}

#[test]
fn finish_calls_groups_and_keeps_calls_with_matching_methods() {
    let f = SearchForm {
        methods: vec!["BYE".into()],
        ..SearchForm::default()
    };
    let compiled = compile(&f, ResultView::Calls, now(), &utc()).unwrap();
    let calls = compiled.finish_calls([vec![
        answer_row(1, "a", 10, "INVITE", "1 INVITE"),
        answer_row(2, "a", 11, "200", "1 INVITE"),
        answer_row(3, "a", 40, "BYE", "2 BYE"),
        answer_row(4, "b", 50, "INVITE", "1 INVITE"),
        answer_row(5, "b", 51, "486", "1 INVITE"),
    ]]);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].call_id, "a");
    assert_eq!(calls[0].status, CallStatus::Answered);
    assert_eq!(calls[0].duration_ms, Some(29_000));
}
