//! `POST /export/call/messages/pcap` and `/text`: a transaction's rows (with correlated legs, RTCP
//! and logs) as a classic libpcap file or as text (`docs/homer7-api.md` §7).
//!
//! Every row is timed by its capture time (with its microseconds, unlike homer-app) and keeps its
//! transport: SIP captured over TCP becomes TCP segments with per-direction sequence numbers (so
//! Wireshark reassembles and follows the stream), everything else UDP. RTCP rows become real RTCP
//! compound packets (SR/RR + SDES) built from the stored report JSON, so Wireshark's RTP/RTCP
//! analysis reads them; a report that is not JSON, and log rows, keep their stored text.

use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use super::rows::rfc3339;
use super::rtcp_wire;
use super::transaction::{read_transaction, selection};
use super::ApiError;
use crate::hep::{ProtoType, IP_PROTO_TCP};
use crate::pcap::{PcapWriter, Transport};
use crate::store::index::Row;
use crate::store::read::StoredRow;
use crate::store::{Store, StoreError};

async fn rows(
    store: &Store,
    request: Result<Json<Value>, JsonRejection>,
) -> Result<Vec<StoredRow>, ApiError> {
    let selection = selection(request, true)?;
    if !selection.node_selected {
        return Ok(Vec::new());
    }
    Ok(read_transaction(store, selection).await?)
}

fn attachment(content_type: &'static str, extension: &str, body: Vec<u8>) -> Response {
    let stamp = jiff::Timestamp::now().strftime("%Y-%m-%dT%H%M%SZ");
    let disposition = format!("attachment; filename=export-{stamp}.{extension}");
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

fn socket(ip: &str, port: u16) -> Option<SocketAddr> {
    ip.parse::<IpAddr>()
        .ok()
        .map(|ip| SocketAddr::new(ip, port))
}

/// The rows as a pcap file; rows whose addresses cannot be written are left out.
pub fn pcap_bytes(rows: &[StoredRow]) -> Result<Vec<u8>, StoreError> {
    let fail = |e: crate::pcap::PcapWriteError| StoreError::Write(format!("writing pcap: {e}"));
    let mut writer = PcapWriter::new(Vec::new()).map_err(fail)?;
    for stored in rows {
        let row = &stored.row;
        let (Some(src), Some(dst)) = (
            socket(&row.src_ip, row.src_port),
            socket(&row.dst_ip, row.dst_port),
        ) else {
            continue;
        };
        let transport = if row.transport == IP_PROTO_TCP {
            Transport::Tcp
        } else {
            Transport::Udp
        };
        let payload = wire_payload(row);
        match writer.write_packet(row.time_us, src, dst, transport, &payload) {
            Ok(()) => {}
            Err(crate::pcap::PcapWriteError::Io(e)) => return Err(fail(e.into())),
            Err(e) => {
                tracing::debug!(id = stored.id, error = %e, "row left out of the pcap export")
            }
        }
    }
    writer.into_inner().map_err(fail)
}

/// What goes on the wire for `row`: RTCP report JSON as RTCP bytes (CNAME `hepscope@<source>`,
/// since the JSON does not keep the CNAME text), anything else as stored.
fn wire_payload(row: &Row) -> std::borrow::Cow<'_, [u8]> {
    if matches!(ProtoType::from_u8(row.payload_type), ProtoType::Rtcp) {
        let parsed = std::str::from_utf8(&row.raw)
            .ok()
            .and_then(|text| app::domain::qos::rtcp::RtcpPacket::parse(text).ok());
        if let Some(packet) = parsed {
            let cname = format!("hepscope@{}", row.src_ip);
            return std::borrow::Cow::Owned(rtcp_wire::compound(&packet, &cname));
        }
    }
    std::borrow::Cow::Borrowed(&row.raw)
}

/// The rows as homer-app's text export.
pub fn text_bytes(rows: &[StoredRow]) -> Vec<u8> {
    let mut out = Vec::new();
    for stored in rows {
        let row = &stored.row;
        let proto = match row.transport {
            6 => "TCP",
            132 => "SCTP",
            _ => "UDP",
        };
        out.extend_from_slice(
            format!(
                "proto:{proto} {}  {} ---> {}\r\n\r\n",
                rfc3339(row.time_us),
                super::host_key(&row.src_ip, row.src_port),
                super::host_key(&row.dst_ip, row.dst_port),
            )
            .as_bytes(),
        );
        out.extend_from_slice(&row.raw);
        out.extend_from_slice(b"\r\n");
    }
    out
}

pub(super) async fn messages_pcap(
    State(store): State<Store>,
    request: Result<Json<Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let rows = rows(&store, request).await?;
    let bytes = pcap_bytes(&rows)?;
    Ok(attachment("application/octet-stream", "pcap", bytes))
}

pub(super) async fn messages_text(
    State(store): State<Store>,
    request: Result<Json<Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let rows = rows(&store, request).await?;
    Ok(attachment(
        "text/plain; charset=UTF-8",
        "txt",
        text_bytes(&rows),
    ))
}
