//! The SIP scanner on arbitrary bytes: it must never panic, and neither may any field accessor of a
//! message it scanned (they re-parse URIs, name-addrs, Via and SDP lazily).

#![no_main]

use hepscope_core::sip::{scan, DEFAULT_CORRELATION_HEADERS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(message) = scan(data) else {
        return;
    };
    let _ = message.method_or_status_label();
    let _ = (
        message.ruri_user(),
        message.ruri_domain(),
        message.call_id(),
    );
    let _ = (message.cseq(), message.status(), message.method());
    let _ = (
        message.from_user(),
        message.from_domain(),
        message.from_tag(),
    );
    let _ = (message.to_user(), message.to_domain(), message.to_tag());
    let _ = (
        message.via_branch(),
        message.contact_user(),
        message.contact_host(),
    );
    let _ = (
        message.user_agent(),
        message.server(),
        message.pai_user(),
        message.auth_user(),
    );
    let _ = (message.content_type(), message.reason(), message.expires());
    let _ = (
        message.max_forwards(),
        message.content_length(),
        message.is_truncated(),
    );
    let _ = message.headers().count();
    let _ = message.lines().count();
    let _ = message.sdp();
    let _ = message.correlation_ids(DEFAULT_CORRELATION_HEADERS);
});
