//! Time zones in the views: the one the URL names (or the browser's), and how a zone or an expiry
//! time is shown.

use jiff::tz::TimeZone;

/// The browser's time zone, or the one named in the form.
pub fn resolve_zone(name: &str) -> Result<TimeZone, String> {
    if name.trim().is_empty() {
        Ok(TimeZone::system())
    } else {
        TimeZone::get(name.trim()).map_err(|e| format!("time zone {name:?}: {e}"))
    }
}

/// The name of a zone for display.
pub fn zone_name(tz: &TimeZone) -> String {
    tz.iana_name().unwrap_or("UTC").to_string()
}

/// `expires_at` (seconds since the epoch) in the browser's time zone.
pub fn expiry_text(expires_at: i64) -> String {
    jiff::Timestamp::from_second(expires_at)
        .map(|t| {
            t.to_zoned(TimeZone::system())
                .strftime("%Y-%m-%d %H:%M:%S %Z")
                .to_string()
        })
        .unwrap_or_else(|_| expires_at.to_string())
}
