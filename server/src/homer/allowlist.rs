//! Which `/api/v3` routes the browser may reach through hepscope: HOMER's read routes only.
//!
//! Everything else (users, tokens, alias and mapping writes, mapping reset, agents, imports,
//! dashboards, …) is refused, so hepscope's server-held Homer login cannot be used to change
//! Homer. Matching is on exact path segments; parameter segments must look like ids.

use axum::http::Method;

/// Whether `method` on `/api/v3/{path}` may pass (`path` without a leading `/`, still encoded).
pub fn is_allowed(method: &Method, path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').collect();
    if segments.iter().any(|s| !is_plain_segment(s)) {
        return false;
    }
    if *method == Method::POST {
        return matches!(
            segments.as_slice(),
            ["search", "call", "data" | "message"]
                | ["call", "transaction"]
                | ["call", "report", "qos" | "log"]
                | ["export", "call", "messages", "pcap" | "text"]
        );
    }
    if *method == Method::GET {
        return match segments.as_slice() {
            ["alias"]
            | ["mapping", "protocol"]
            | ["database", "node", "list"]
            | ["auth", "type", "list"] => true,
            // `mapping/protocol/reset[/uuid]` resets Homer's mapping: a write behind a GET.
            ["mapping", "protocol", first, rest @ ..] if *first != "reset" && rest.len() <= 1 => {
                rest.iter().all(|s| is_id(s)) && is_id(first)
            }
            ["smart", "search", "tag", hepid, profile] => is_id(hepid) && is_id(profile),
            _ => false,
        };
    }
    false
}

/// The allowed routes as documentation (the pass-through routes of `/api/openapi.json`): method and
/// path, `{…}` standing for an id segment. A test checks that each one passes [`is_allowed`].
pub const DOCUMENTED: &[(&str, &str)] = &[
    ("POST", "search/call/data"),
    ("POST", "search/call/message"),
    ("POST", "call/transaction"),
    ("POST", "call/report/qos"),
    ("POST", "call/report/log"),
    ("POST", "export/call/messages/pcap"),
    ("POST", "export/call/messages/text"),
    ("GET", "alias"),
    ("GET", "mapping/protocol"),
    ("GET", "mapping/protocol/{hepid-or-guid}"),
    ("GET", "mapping/protocol/{hepid}/{profile}"),
    ("GET", "database/node/list"),
    ("GET", "auth/type/list"),
    ("GET", "smart/search/tag/{hepid}/{profile}"),
];

/// No empty, `.` or `..` segment, and no percent-encoding that could hide a `/`.
fn is_plain_segment(segment: &str) -> bool {
    !segment.is_empty() && segment != "." && segment != ".." && !segment.contains('%')
}

/// A route parameter: a hep id, profile name or GUID.
fn is_id(segment: &str) -> bool {
    !segment.is_empty()
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! allowed {
        ($name:ident, $method:ident, $path:expr) => {
            #[test]
            fn $name() {
                assert!(
                    is_allowed(&Method::$method, $path),
                    "{} {}",
                    stringify!($method),
                    $path
                );
            }
        };
    }
    macro_rules! refused {
        ($name:ident, $method:ident, $path:expr) => {
            #[test]
            fn $name() {
                assert!(
                    !is_allowed(&Method::$method, $path),
                    "{} {}",
                    stringify!($method),
                    $path
                );
            }
        };
    }

    #[test]
    fn every_documented_route_is_allowed() {
        for (method, pattern) in DOCUMENTED {
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let path: Vec<&str> = pattern
                .split('/')
                .map(|s| if s.starts_with('{') { "1" } else { s })
                .collect();
            assert!(is_allowed(&method, &path.join("/")), "{method} {pattern}");
        }
    }

    allowed!(allows_search_call_data, POST, "search/call/data");
    allowed!(allows_search_call_message, POST, "search/call/message");
    allowed!(allows_call_transaction, POST, "call/transaction");
    allowed!(allows_report_qos, POST, "call/report/qos");
    allowed!(allows_report_log, POST, "call/report/log");
    allowed!(allows_export_pcap, POST, "export/call/messages/pcap");
    allowed!(allows_export_text, POST, "export/call/messages/text");
    allowed!(allows_get_alias, GET, "alias");
    allowed!(allows_get_mapping, GET, "mapping/protocol");
    allowed!(
        allows_get_mapping_by_profile,
        GET,
        "mapping/protocol/1/call"
    );
    allowed!(
        allows_get_mapping_by_guid,
        GET,
        "mapping/protocol/9b0b-4c1d"
    );
    allowed!(allows_get_node_list, GET, "database/node/list");
    allowed!(allows_get_smart_tags, GET, "smart/search/tag/1/call");
    allowed!(allows_get_auth_types, GET, "auth/type/list");

    refused!(refuses_alias_create, POST, "alias");
    refused!(refuses_alias_delete, DELETE, "alias/9b0b");
    refused!(refuses_alias_by_guid_get, GET, "alias/9b0b");
    refused!(refuses_mapping_reset, GET, "mapping/protocol/reset");
    refused!(
        refuses_mapping_reset_uuid,
        GET,
        "mapping/protocol/reset/9b0b"
    );
    refused!(refuses_mapping_write, POST, "mapping/protocol");
    refused!(refuses_users, GET, "users");
    refused!(refuses_user_create, POST, "users");
    refused!(refuses_token_auth, POST, "token/auth");
    refused!(refuses_login, POST, "auth");
    refused!(refuses_search_data_by_get, GET, "search/call/data");
    refused!(refuses_trailing_slash, POST, "search/call/data/");
    refused!(refuses_dot_segments, GET, "alias/../users");
    refused!(
        refuses_encoded_slash,
        GET,
        "mapping/protocol/1%2F..%2Freset"
    );
    refused!(refuses_import, POST, "import/data/pcap");
    refused!(refuses_empty_path, GET, "");
    refused!(refuses_smart_tag_prefix, GET, "smart/search/tag/1");
}
