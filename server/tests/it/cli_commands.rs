//! `hepscope <command>` (issue 20): each dex homer command run as the real binary against a hepscope
//! server with the embedded store and against a HOMER 7 double holding the same packets. Outputs are
//! equal between both, and `-o json` equals the browser's download for the same query (the same
//! `app::domain` functions over the store's HOMER 7 router).

use crate::common;

use crate::common::cli::{Backends, Run};
use app::domain::analyze_view::ShownAnalysis;
use app::domain::calls::{name_directions, CallSummary, HostPort};
use app::domain::ladder::AliasTable;
use app::domain::qos::load::load_qos;
use app::domain::qos::{CallQos, QosSettings};
use app::domain::query::{compile_with_mapping, run_search, ResultView, SearchOutcome};
use app::domain::results::{calls_download, rows_download, DownloadFormat};
use app::domain::search_form::SearchForm;
use jiff::tz::TimeZone;

/// The browser's search run for `form` (its compile, run and merge).
async fn browser_search(b: &Backends, form: &SearchForm, view: ResultView) -> SearchOutcome {
    let fetch = b.browser();
    let mapping = fetch.mapping().await;
    let compiled =
        compile_with_mapping(form, view, jiff::Timestamp::now(), &TimeZone::UTC, &mapping).unwrap();
    run_search(&fetch, &compiled).await.unwrap().outcome
}

/// The browser's calls, directions named by the aliases as its calls view does.
async fn browser_calls(b: &Backends, form: &SearchForm) -> Vec<CallSummary> {
    let SearchOutcome::Calls(mut calls) = browser_search(b, form, ResultView::Calls).await else {
        panic!("calls expected")
    };
    use app::domain::fetch::V3Fetch;
    let table = AliasTable::from_list(&b.browser().aliases().await.unwrap());
    name_directions(&mut calls, |h: &HostPort| table.resolve(h));
    calls
}

fn with_newline(mut text: String) -> String {
    text.push('\n');
    text
}

fn ok(run: &Run) -> &str {
    assert_eq!(
        run.code, 0,
        "stderr: {}\nstdout: {}",
        run.stderr, run.stdout
    );
    &run.stdout
}

/// Every call of the traffic (all within 24 h), as the browser's calls view lists them.
async fn all_calls(b: &Backends) -> Vec<CallSummary> {
    browser_calls(
        b,
        &SearchForm {
            limit: Some(500),
            ..SearchForm::default()
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_by_number_fans_out_and_its_json_is_the_browsers_download() {
    let b = Backends::start("cli-search-number").await;
    let calls = all_calls(&b).await;
    let answered = calls
        .iter()
        .find(|c| c.status.label() == "answered" && c.caller.starts_with('+'))
        .expect("an answered call from an international number");
    let number = answered.caller.clone();

    // dex: `search --number N -o json`; the same as the browser's JSON download.
    let run = b.both(&["search", "--number", &number, "-o", "json"]).await;
    let SearchOutcome::Rows(rows) = browser_search(
        &b,
        &SearchForm {
            number: number.clone(),
            ..SearchForm::default()
        },
        ResultView::Messages,
    )
    .await
    else {
        panic!("rows expected")
    };
    assert!(!rows.is_empty());
    assert_eq!(
        ok(&run),
        with_newline(rows_download(&rows, &TimeZone::UTC, DownloadFormat::Json))
    );
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let first = &json[0];
    for field in [
        "time",
        "time_us",
        "method",
        "from_user",
        "to_user",
        "src",
        "dst",
        "call_id",
    ] {
        assert!(first.get(field).is_some(), "field {field} in {first}");
    }

    // Without the `+` the fan-out finds the same rows: From/To × with/without `+`, 4 requests.
    let bare = number.trim_start_matches('+');
    let run = b
        .hepscope(&["search", "--number", bare, "-o", "json", "-d"])
        .await;
    assert_eq!(
        ok(&run),
        with_newline(rows_download(&rows, &TimeZone::UTC, DownloadFormat::Json))
    );
    assert_eq!(
        run.stderr.matches("search/call/data").count(),
        4,
        "one request per alternative: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Authorization: Bearer ***"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(&b.token), "the token is masked");

    // The HOMER double's debug output masks the password.
    let run = b
        .homer(&["search", "--number", bare, "-d", "-l", "5"])
        .await;
    assert!(
        run.stderr.contains("\"password\":\"***\""),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(common::fake_homer::PASSWORD));
    assert!(run.stderr.contains("limit reached"), "{}", run.stderr);
    assert_eq!(
        run.stdout.lines().count(),
        6,
        "header and 5 rows: {}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_examples_of_dex_give_the_same_answers_on_both_backends() {
    let b = Backends::start("cli-search-examples").await;
    let calls = all_calls(&b).await;
    let call = calls
        .iter()
        .find(|c| c.status.label() == "answered")
        .unwrap()
        .clone();
    let ua = {
        let SearchOutcome::Rows(rows) = browser_search(
            &b,
            &SearchForm {
                call_id: call.call_id.clone(),
                ..SearchForm::default()
            },
            ResultView::Messages,
        )
        .await
        else {
            panic!()
        };
        rows.iter()
            .find(|r| r.method == "INVITE")
            .unwrap()
            .user_agent
            .clone()
    };

    // --since: the traffic is about two hours old.
    let run = b.both(&["search", "--since", "30m"]).await;
    assert_eq!(
        run.code, 1,
        "nothing in the last 30 minutes: {}",
        run.stdout
    );
    assert!(run.stderr.contains("no messages match"), "{}", run.stderr);
    let run = b.both(&["search", "--since", "3h", "-l", "1000"]).await;
    assert!(ok(&run).lines().count() > 50);

    // --from-user / --to-user with --ua.
    let run = b
        .both(&[
            "search",
            "--from-user",
            &call.caller,
            "--to-user",
            &call.callee,
            "--ua",
            &ua,
        ])
        .await;
    assert!(ok(&run).contains(&call.call_id), "{}", run.stdout);
    assert!(
        run.stdout.lines().skip(1).all(|l| l.contains(&ua)),
        "{}",
        run.stdout
    );

    // --call-id: every message of the call.
    let run = b
        .both(&["search", "--call-id", &call.call_id, "-o", "jsonl"])
        .await;
    let lines: Vec<serde_json::Value> = ok(&run)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= 6, "{}", run.stdout);
    assert!(lines.iter().all(|l| l["call_id"] == call.call_id.as_str()));

    // --at: the call's time ± 5 minutes; absolute range.
    let at = jiff::Timestamp::from_millisecond(call.first_ts_ms)
        .unwrap()
        .to_zoned(TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string();
    let run = b.both(&["calls", "--at", &at, "-l", "500"]).await;
    assert!(ok(&run).contains(&call.call_id), "{}", run.stdout);
    let since = jiff::Timestamp::from_millisecond(call.first_ts_ms - 1000)
        .unwrap()
        .to_zoned(TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string();
    let until = jiff::Timestamp::from_millisecond(call.first_ts_ms + 1000)
        .unwrap()
        .to_zoned(TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string();
    let run = b
        .both(&["calls", "--since", &since, "--until", &until])
        .await;
    assert!(ok(&run).contains(&call.call_id), "{}", run.stdout);
    assert!(
        run.stdout.lines().count() <= 4,
        "a two-second window: {}",
        run.stdout
    );

    // -q, the query language.
    let q = format!("from_user = '{}' AND method = 'INVITE'", call.caller);
    let run = b.both(&["search", "-q", &q, "-o", "json"]).await;
    let json: Vec<serde_json::Value> = serde_json::from_str(ok(&run)).unwrap();
    assert!(!json.is_empty());
    assert!(json
        .iter()
        .all(|r| r["method"] == "INVITE" && r["from_user"] == call.caller.as_str()));

    // -m, repeatable, client-side.
    let run = b
        .both(&[
            "search", "-m", "INVITE", "-m", "BYE", "-o", "json", "-l", "1000",
        ])
        .await;
    let json: Vec<serde_json::Value> = serde_json::from_str(ok(&run)).unwrap();
    assert!(json.iter().any(|r| r["method"] == "BYE"));
    // A request matches its method, a response the method of its CSeq (the browser's filter).
    assert!(json.iter().all(|r| {
        let cseq = r["cseq"].as_str().unwrap_or_default();
        ["INVITE", "BYE"]
            .iter()
            .any(|m| r["method"] == *m || cseq.ends_with(m))
    }));
    assert!(!json.iter().any(|r| r["method"] == "ACK"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_show_dex_statuses_and_match_the_browsers_calls_download() {
    let b = Backends::start("cli-calls").await;
    let run = b.both(&["calls", "-l", "500"]).await;
    let table = ok(&run);
    assert!(table.starts_with("TIME"), "{table}");
    for status in [
        "answered",
        "busy",
        "cancelled",
        "no answer",
        "failed",
        "ringing",
    ] {
        assert!(table.contains(status), "status {status} in\n{table}");
    }
    assert!(
        table.contains("carrier → sbc"),
        "directions named by aliases:\n{table}"
    );

    let run = b.both(&["calls", "-l", "500", "-o", "json"]).await;
    let expected = calls_download(
        &browser_calls(
            &b,
            &SearchForm {
                limit: Some(500),
                ..SearchForm::default()
            },
        )
        .await,
        &TimeZone::UTC,
        DownloadFormat::Json,
    );
    assert_eq!(ok(&run), with_newline(expected));
    let json: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    for field in [
        "time",
        "caller",
        "callee",
        "status",
        "duration_ms",
        "post_dial_delay_ms",
        "messages",
        "direction",
        "call_id",
    ] {
        assert!(json[0].get(field).is_some(), "{field}");
    }

    // calls with a number, and a limit that cuts.
    let caller = json[0]["caller"].as_str().unwrap().to_owned();
    let run = b.both(&["calls", "--number", &caller]).await;
    assert!(ok(&run).contains(json[0]["call_id"].as_str().unwrap()));
    let run = b.both(&["calls", "-l", "2"]).await;
    assert_eq!(ok(&run).lines().count(), 3);
    assert!(run.stderr.contains("limit reached"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_merges_call_ids_in_time_order_and_raw_prints_the_messages() {
    let b = Backends::start("cli-show").await;
    let calls = all_calls(&b).await;
    let legs: Vec<&CallSummary> = calls
        .iter()
        .filter(|c| c.direction.contains("sbc → pbx") || c.direction.contains("carrier → sbc"))
        .collect();
    let one = &legs[0].call_id;
    let run = b.both(&["show", one]).await;
    let text = ok(&run);
    assert!(
        text.contains("INVITE (SDP)") && text.contains("->"),
        "{text}"
    );
    assert!(text.lines().next().unwrap().contains("INVITE"), "{text}");

    let ids: Vec<&str> = calls.iter().take(3).map(|c| c.call_id.as_str()).collect();
    let run = b.both(&["show", ids[0], ids[1], ids[2]]).await;
    let text = ok(&run);
    for id in &ids {
        assert!(text.contains(id), "{id} in\n{text}");
    }
    let times: Vec<&str> = text.lines().map(|l| &l[..26]).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "merged and time-sorted");

    let run = b.both(&["show", one, "--raw"]).await;
    let text = ok(&run);
    assert!(
        text.contains("    INVITE sip:") && text.contains("    v=0"),
        "{text}"
    );
    assert!(text.contains("    Call-ID: "), "{text}");

    let run = b.both(&["show", "no-such-call@nowhere"]).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("no messages for no-such-call@nowhere"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_writes_pcap_and_text_to_the_default_file_a_named_file_or_stdout() {
    let b = Backends::start("cli-export").await;
    let id = b.call_ids()[0].clone();
    let run = b.both(&["export", &id, "-o", "-"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let stdout_bytes = {
        let r = common::cli::run(
            &[
                "--url".into(),
                b.server_url(),
                "export".into(),
                id.clone(),
                "-o".into(),
                "-".into(),
            ],
            &b.home,
            &[("HEPSCOPE_TOKEN", b.token.as_str())],
        )
        .await;
        r.stdout.into_bytes()
    };
    assert!(stdout_bytes.len() > 100);

    let run = b.hepscope(&["export", &id]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let stem = app::domain::call_view::file_stem(std::slice::from_ref(&id));
    let default = b.home.join(format!("{stem}.pcap"));
    let bytes = std::fs::read(&default).unwrap();
    assert_eq!(&bytes[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "a classic PCAP");
    let named = b.home.join("homer.pcap");
    let run = b
        .homer(&["export", &id, "-o", named.to_str().unwrap()])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read(&named).unwrap(),
        bytes,
        "the same PCAP from both backends"
    );

    let run = b
        .both(&["export", &id, "--format", "text", "-o", "-"])
        .await;
    assert!(ok(&run).contains("INVITE"), "{}", run.stdout);

    let run = b.both(&["export", "no-such-call", "-o", "-"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qos_scores_streams_with_clock_and_latency_as_the_quality_tab() {
    let b = Backends::start("cli-qos").await;
    let id = b.rtcp_call_ids()[0].clone();
    let run = b.both(&["qos", &id]).await;
    let table = ok(&run);
    assert!(
        table.contains("DIRECTION") && table.contains("MOS"),
        "{table}"
    );
    assert!(
        ["Excellent", "Good", "Fair", "Poor"]
            .iter()
            .any(|band| table.contains(band)),
        "{table}"
    );

    // -o json is the Quality tab's download.
    let run = b.both(&["qos", &id, "-o", "json"]).await;
    let now = jiff::Timestamp::now().as_millisecond();
    let inputs = load_qos(
        &b.browser(),
        std::slice::from_ref(&id),
        app::domain::qos::load::qos_window(None, now),
    )
    .await
    .unwrap();
    let qos = CallQos::from_reports(&inputs.reports, &inputs.codecs, &QosSettings::default());
    assert_eq!(
        ok(&run),
        with_newline(serde_json::to_string_pretty(&qos).unwrap())
    );

    // --clock scales the jitter; --latency lowers the MOS.
    let jitter = |text: &str| -> f64 {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        v["streams"][0]["jitter_ms"]["avg"].as_f64().unwrap()
    };
    let mos = |text: &str| -> f64 {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        v["streams"][0]["mos_emodel"]["avg"].as_f64().unwrap()
    };
    let base = run.stdout.clone();
    let run = b
        .both(&["qos", &id, "-o", "json", "--clock", "16000"])
        .await;
    assert!(
        (jitter(ok(&run)) * 2.0 - jitter(&base)).abs() < 1e-6,
        "16 kHz halves the ms"
    );
    let run = b
        .both(&["qos", &id, "-o", "json", "--latency", "300"])
        .await;
    assert!(
        mos(ok(&run)) < mos(&base),
        "a longer assumed delay lowers the MOS"
    );
    let run = b.both(&["qos", &id, "-o", "jsonl"]).await;
    assert_eq!(ok(&run).lines().count(), qos.streams.len());

    let run = b.hepscope(&["qos", &id, "--clock", "0"]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--clock"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyze_finds_the_three_legs_by_call_id_and_by_caller_and_callee() {
    let b = Backends::start("cli-analyze").await;
    let calls = all_calls(&b).await;
    // Leg 2's INVITE names leg 1 in X-CID (HOMER's A-leg link): leg 1 is the seed.
    let first_leg = b
        .packets
        .iter()
        .find_map(|p| {
            let text = String::from_utf8_lossy(&p.payload).into_owned();
            text.lines()
                .find_map(|l| l.strip_prefix("X-CID: ").map(|v| v.trim().to_owned()))
        })
        .expect("the three-leg call");
    let seed = calls.iter().find(|c| c.call_id == first_leg).unwrap();
    let run = b
        .both(&["analyze", &seed.call_id, "-c", "X-Acme-Call-ID"])
        .await;
    let text = ok(&run);
    let legs: Vec<&str> = text.lines().skip(1).take_while(|l| !l.is_empty()).collect();
    assert_eq!(legs.len(), 3, "carrier→sbc, sbc→pbx, pbx→phone:\n{text}");
    assert!(
        text.contains("pbx -> phones"),
        "the combined ladder:\n{text}"
    );

    // -o json is the Analyze view's download.
    let run = b
        .both(&[
            "analyze",
            &seed.call_id,
            "-c",
            "X-Acme-Call-ID",
            "-o",
            "json",
        ])
        .await;
    let query = app::domain::analyze_view::AnalyzeQuery::from_query_string(&format!(
        "call_id={}&correlate=X-Acme-Call-ID&limit=100",
        app::domain::percent::percent_encode(&seed.call_id)
    ))
    .unwrap();
    let outcome = app::domain::legs::run::run_analysis(
        &b.browser(),
        &query,
        jiff::Timestamp::now(),
        &TimeZone::UTC,
        |_| {},
    )
    .await
    .unwrap();
    let expected = ShownAnalysis::new(&outcome.analysis, &query).to_json(&query);
    assert_eq!(ok(&run), with_newline(expected));

    // By caller and callee at the call's time, with header columns and an extra number.
    let at = jiff::Timestamp::from_millisecond(seed.first_ts_ms)
        .unwrap()
        .to_zoned(TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string();
    let run = b
        .both(&[
            "analyze",
            "--from-user",
            &seed.caller,
            "--to-user",
            &seed.callee,
            "--at",
            &at,
            "-c",
            "X-Acme-Call-ID",
            "-H",
            "X-Acme",
            "-N",
            "0000000",
        ])
        .await;
    let text = ok(&run);
    assert!(
        text.lines().next().unwrap().ends_with("X-Acme-Call-ID"),
        "{text}"
    );
    assert_eq!(
        text.lines().skip(1).take_while(|l| !l.is_empty()).count(),
        3,
        "{text}"
    );

    let run = b
        .both(&["analyze", "no-such-call", "-c", "X-Acme-Call-ID"])
        .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aliases_and_endpoints_list_what_is_configured() {
    let b = Backends::start("cli-hosts").await;
    let run = b.both(&["aliases"]).await;
    let text = ok(&run);
    for name in ["carrier", "sbc", "pbx", "phones"] {
        assert!(text.contains(name), "{name} in\n{text}");
    }
    let run = b.both(&["aliases", "-o", "json"]).await;
    let json: Vec<serde_json::Value> = serde_json::from_str(ok(&run)).unwrap();
    assert!(json
        .iter()
        .any(|a| a["name"] == "pbx" && a["network"] == "10.0.0.20"));

    // A hepscope server's backends.
    let run = b.hepscope(&["endpoints"]).await;
    assert!(ok(&run).contains("embedded"), "{}", run.stdout);

    // dex's endpoints, and dex's endpoint credentials used for the HOMER login.
    let dex_dir = b.home.join(".dex");
    std::fs::create_dir_all(&dex_dir).unwrap();
    std::fs::write(
        dex_dir.join("config.json"),
        serde_json::json!({"homer": {"endpoints": {
            b.homer.url(): {"username": common::fake_homer::USERNAME, "password": common::fake_homer::PASSWORD},
            "http://homer-webapp.eu.svc.cluster.local:80": {}
        }}})
        .to_string(),
    )
    .unwrap();
    let run = common::cli::run(&["endpoints".into()], &b.home, &[]).await;
    let text = ok(&run);
    assert!(
        text.contains(&b.homer.url()) && text.contains("homer-webapp.eu"),
        "{text}"
    );
    let own: Vec<&str> = text.lines().filter(|l| l.ends_with("yes")).collect();
    assert_eq!(
        own.len(),
        1,
        "only the double has its own credentials:\n{text}"
    );
    let run = common::cli::run(
        &["--url".into(), b.homer.url(), "aliases".into()],
        &b.home,
        &[],
    )
    .await;
    assert!(
        ok(&run).contains("carrier"),
        "dex's endpoint credentials: {}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_say_usage_backend_and_no_results() {
    let b = Backends::start("cli-exit").await;
    // 2: usage.
    let run = b.hepscope(&["search", "--at", "1h", "--since", "2h"]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = b.hepscope(&["search", "-q", "colour = 'red'"]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("colour") && run.stderr.contains('^'),
        "{}",
        run.stderr
    );
    let run = b.hepscope(&["search", "--tz", "Mars/Olympus"]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = b.hepscope(&["analyze", "x"]).await;
    assert_eq!(run.code, 2, "-c is required: {}", run.stderr);
    // 3: unreachable, refused credentials, bad token.
    let run = common::cli::run(
        &["--url".into(), "http://127.0.0.1:9".into(), "search".into()],
        &b.home,
        &[],
    )
    .await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("cannot reach"), "{}", run.stderr);
    let run = common::cli::run(
        &["--url".into(), b.homer.url(), "search".into()],
        &b.home,
        &[("HOMER_PASSWORD", "wrong")],
    )
    .await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("admin/admin") || run.stderr.contains("login"),
        "{}",
        run.stderr
    );
    let run = common::cli::run(
        &["--url".into(), b.server_url(), "search".into()],
        &b.home,
        &[("HEPSCOPE_TOKEN", "not-a-token")],
    )
    .await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("authentication failed"),
        "{}",
        run.stderr
    );
    // 1: no results.
    let run = b.both(&["search", "--call-id", "nothing-like-this"]).await;
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    // 0.
    assert_eq!(b.both(&["search", "-l", "3"]).await.code, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn colours_only_on_a_terminal_unless_asked_for() {
    let b = Backends::start("cli-colour").await;
    let plain = b.hepscope(&["calls", "-l", "500"]).await;
    assert!(!ok(&plain).contains('\x1b'), "stdout is a pipe: no colours");
    let never = b
        .hepscope(&["calls", "-l", "500", "--color", "never"])
        .await;
    assert_eq!(ok(&never), plain.stdout);
    let always = b.both(&["calls", "-l", "500", "--color", "always"]).await;
    assert!(
        ok(&always).starts_with("\x1b[1mTIME"),
        "{:?}",
        always.stdout
    );
    assert!(
        always.stdout.contains("\x1b[32manswered\x1b[0m"),
        "{:?}",
        always.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_of_a_command_lists_dex_flags_and_the_server_commands_remain() {
    let home = common::app::temp_dir("cli-help");
    let run = common::cli::run(&["help".into(), "search".into()], &home, &[]).await;
    let text = ok(&run);
    for flag in [
        "--number",
        "--from-user",
        "--to-user",
        "--ua",
        "--query",
        "--call-id",
        "--since",
        "--until",
        "--at",
        "--method",
        "--limit",
        "--output",
        "--url",
        "--backend-kind",
        "--namespace",
        "--debug",
        "--backend",
        "--tz",
        "--color",
    ] {
        assert!(text.contains(flag), "{flag} in\n{text}");
    }
    let run = common::cli::run(&["help".into()], &home, &[]).await;
    for command in [
        "serve",
        "demo",
        "import",
        "hash-password",
        "send-hep",
        "search",
        "calls",
        "show",
        "export",
        "qos",
        "analyze",
        "endpoints",
        "aliases",
        "discover",
        "login",
    ] {
        assert!(ok(&run).contains(command), "{command}");
    }
}
