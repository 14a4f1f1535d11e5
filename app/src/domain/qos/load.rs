//! Loading a call's RTCP for the QoS view and `hepscope qos`: the lookup window, the reports (from
//! `call/report/qos`, else the transaction's RTCP rows), the SDP codecs and the notices. Shared so
//! both score the same reports with the same codec.

use crate::domain::fetch::V3Fetch;
use crate::domain::homer::{ProfileKey, TimeWindow, TransactionRequest, TransactionResponse};

use super::call::RejectedReport;
use super::codec::CodecInfo;
use super::rtcp::RtcpReport;
use super::view::{
    codecs_from_rows, endpoint_streams_from_qos_body, reports_from_qos_body, reports_from_rows,
};

/// Ten days, the window when the call's time is not known.
pub const DEFAULT_WINDOW_MS: i64 = 10 * 24 * 3600 * 1000;
/// Before a known start time.
pub const BEFORE_MS: i64 = 5 * 60 * 1000;
/// After a known start time (a long call's RTCP runs for hours).
pub const AFTER_MS: i64 = 24 * 3600 * 1000;

/// The window of a link's time `t`, else the last ten days before `now_ms`.
pub fn qos_window(t: Option<i64>, now_ms: i64) -> TimeWindow {
    match t {
        Some(t) => TimeWindow::new(t - BEFORE_MS, t + AFTER_MS),
        None => TimeWindow::new(now_ms - DEFAULT_WINDOW_MS, now_ms),
    }
}

/// What was loaded: the settings apply to it without reloading.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QosInputs {
    pub reports: Vec<RtcpReport>,
    pub rejected: Vec<RejectedReport>,
    pub codecs: Vec<CodecInfo>,
    pub notices: Vec<String>,
    /// Quality the endpoints reported themselves (RTCP-XR, vq-rtcpxr), scored as they said.
    pub endpoint: Vec<super::EndpointStream>,
}

/// Loads the RTCP reports and codecs of `ids` in `window`.
///
/// # Errors
/// The QoS request failed or its answer is not readable.
pub async fn load_qos<F: V3Fetch>(
    fetch: &F,
    ids: &[String],
    window: TimeWindow,
) -> Result<QosInputs, String> {
    let request = TransactionRequest::new(&ProfileKey::call(), window, ids.to_vec());
    let qos_text = fetch.qos_text(&request).await.map_err(|e| e.to_string())?;
    let (mut reports, mut rejected) =
        reports_from_qos_body(&qos_text).map_err(|e| e.to_string())?;
    let (endpoint, unread) =
        endpoint_streams_from_qos_body(&qos_text).map_err(|e| e.to_string())?;
    rejected.extend(unread);
    let mut notices = Vec::new();
    let transaction = match fetch.transaction(&request).await {
        Ok(t) => t,
        Err(e) => {
            notices.push(format!(
                "The call's SIP messages could not be loaded, so the codec is unknown: {e}"
            ));
            TransactionResponse::default()
        }
    };
    let rows = &transaction.data.messages;
    if reports.is_empty() {
        reports = reports_from_rows(rows);
    }
    let codecs = codecs_from_rows(rows);
    if codecs.is_empty() && !reports.is_empty() {
        notices.push(
            "No SDP was found in the call's messages: the codec and clock rate are assumed (set \"Clock rate\" to override)."
                .to_string(),
        );
    }
    Ok(QosInputs {
        reports,
        rejected,
        codecs,
        notices,
        endpoint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_a_day_after_a_known_start_else_ten_days() {
        assert_eq!(
            qos_window(Some(BEFORE_MS), 0),
            TimeWindow::new(0, BEFORE_MS + AFTER_MS)
        );
        assert_eq!(
            qos_window(None, DEFAULT_WINDOW_MS),
            TimeWindow::new(0, DEFAULT_WINDOW_MS)
        );
    }
}
