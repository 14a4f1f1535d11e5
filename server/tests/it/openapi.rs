//! `GET /api/openapi.json`: served without a session, OpenAPI 3, and complete: every route the real
//! router registers (read from the router itself, so a new route without `#[utoipa::path]` fails
//! here) is in it with its methods, every documented operation is a registered route, and every
//! schema and security scheme it references exists.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::app::{client, test_state, TestServer};
use serde_json::Value;

/// The methods an OpenAPI document can list for a route; HEAD, OPTIONS, TRACE and CONNECT are
/// left out (axum answers HEAD from GET, the others are never routed on purpose).
const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// One route as the router holds it: the path in OpenAPI syntax (`{*tail}` becomes `{tail}`) and
/// its methods; `any` when it takes every method.
#[derive(Debug)]
struct Registered {
    methods: BTreeSet<&'static str>,
    any: bool,
}

/// Every route of `router`, by path, read from axum's `Debug` output: `RouteId(n): "/path"` in
/// the path index and `RouteId(n): MethodRouter(MethodRouter { get: …, post: None, … })` in the
/// route table. axum offers no other way to list routes; the sanity checks in the test make a
/// changed format fail loudly instead of passing with nothing to check.
fn registered_routes(router: &axum::Router) -> BTreeMap<String, Registered> {
    let text = format!("{router:?}");
    // Only the path router: the fallback router and fallbacks are not API routes.
    let text = text
        .split(", fallback_router: ")
        .next()
        .expect("the Router's Debug output starts with its path_router");
    let mut paths = BTreeMap::new();
    let mut endpoints = BTreeMap::new();
    let mut rest = text;
    while let Some(at) = rest.find("RouteId(") {
        rest = &rest[at + "RouteId(".len()..];
        let (id, tail) = rest.split_once("): ").expect("RouteId(n): …");
        let id: u32 = id.parse().expect("a numeric RouteId");
        let entry = &tail[..tail.find("RouteId(").unwrap_or(tail.len())];
        if let Some(quoted) = entry.strip_prefix('"') {
            let path = &quoted[..quoted.find('"').expect("a closing quote")];
            paths.insert(id, path.to_owned());
        } else {
            endpoints.insert(id, entry.to_owned());
        }
        rest = tail;
    }
    let mut routes = BTreeMap::new();
    for (id, path) in paths {
        if path.contains("__private__axum") {
            continue; // the /api fallback nest registers a catch-all tail
        }
        let endpoint = endpoints
            .get(&id)
            .unwrap_or_else(|| panic!("no endpoint for {path}"));
        let set = |m: &str| !endpoint.contains(&format!("{m}: None"));
        // `any(...)` is a method router whose fallback (every other method) is a handler.
        let any = !endpoint.contains("fallback: Default(");
        let methods = METHODS.iter().copied().filter(|m| set(m)).collect();
        routes.insert(openapi_path(&path), Registered { methods, any });
    }
    routes
}

/// axum's `{*tail}` wildcard as OpenAPI's `{tail}`.
fn openapi_path(path: &str) -> String {
    path.replace("{*", "{")
}

/// Every `$ref` string in `value`.
fn refs<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_is_served_without_a_session_and_covers_every_route() {
    let server = TestServer::start("").await;
    let response = client()
        .get(server.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "no session needed");
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let doc: Value = response.json().await.unwrap();
    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3."), "OpenAPI 3.x, not {version:?}");
    let documented = doc["paths"].as_object().expect("paths");

    // The same router the server runs (the default config: the embedded store on, so /api/query and
    // HEPop's /query).
    let (state, _, _) = test_state("");
    let routes = registered_routes(&server::router(state));
    for must in [
        "/api/login",
        "/api/openapi.json",
        "/api/v3/{path}",
        "/healthz",
        "/api/query",
        "/query",
    ] {
        assert!(
            routes.contains_key(must),
            "reading the router found no {must}: {routes:?}"
        );
    }
    assert!(routes["/api/login"].methods.contains("post"));
    assert!(routes["/api/v3/{path}"].any);

    for (path, route) in &routes {
        let item = documented
            .get(path)
            .unwrap_or_else(|| panic!("{path} is routed but not in /api/openapi.json"));
        // `any` routes (the HOMER pass-through) document the methods that can succeed.
        let expected: BTreeSet<&str> = if route.any {
            ["get", "post"].into()
        } else {
            route.methods.clone()
        };
        for method in expected {
            assert!(
                item.get(method).is_some(),
                "{} {path} is routed but not documented",
                method.to_uppercase()
            );
        }
    }
    for (path, item) in documented {
        let route = routes
            .get(path)
            .unwrap_or_else(|| panic!("{path} is documented but not routed"));
        for method in METHODS.iter().filter(|m| item.get(**m).is_some()) {
            assert!(
                route.any || route.methods.contains(method),
                "{} {path} is documented but not routed",
                method.to_uppercase()
            );
        }
    }

    let schemas = &doc["components"]["schemas"];
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(
        found.contains(&"#/components/schemas/Me"),
        "the login answer refers to the Me schema"
    );
    for r in found {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {r}"));
        assert!(schemas.get(name).is_some(), "{r} is referenced but missing");
    }
    let schemes = doc["components"]["securitySchemes"]
        .as_object()
        .expect("security schemes");
    assert_eq!(schemes["session_cookie"]["in"], "cookie");
    assert_eq!(schemes["session_cookie"]["name"], "hepscope_session");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    for (path, item) in documented {
        for (method, operation) in item.as_object().unwrap() {
            for requirement in operation["security"].as_array().into_iter().flatten() {
                for name in requirement.as_object().unwrap().keys() {
                    assert!(
                        schemes.contains_key(name),
                        "{method} {path} names the unknown security scheme {name}"
                    );
                }
            }
        }
    }
    assert!(
        documented["/api/me"]["get"]["security"].is_array(),
        "session routes say they need one"
    );
    assert!(
        documented["/api/login"]["post"].get("security").is_none(),
        "login needs no session"
    );
    server.shutdown().await.unwrap();
}
