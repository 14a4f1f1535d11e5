//! A lenient SDP reader (RFC 4566, RFC 8866) for what the UI and QoS need: connection addresses, media
//! lines, codecs (`a=rtpmap`, `a=fmtp`, the RFC 3551 static table), direction, `a=rtcp` and `a=ptime`.
//!
//! Pure: no I/O. Accepts LF-only lines, a missing `s=`, unknown lines and truncated text; what cannot
//! be read is skipped, never an error.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

/// A session description.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sdp {
    /// `o=` line as written.
    pub origin: Option<String>,
    /// `s=` line as written.
    pub session_name: Option<String>,
    /// Session-level `c=`.
    pub connection: Option<Connection>,
    /// Session-level direction attribute.
    pub direction: Option<Direction>,
    /// `m=` sections in order.
    pub media: Vec<Media>,
}

/// A `c=` line: `IN IP4 192.0.2.1` (a `/ttl` suffix is dropped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    /// `IP4` or `IP6` as written.
    pub addr_type: String,
    pub address: String,
}

/// Media direction (RFC 4566 §6); `SendRecv` when none is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

/// The media type of an `m=` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaKind {
    Audio,
    Video,
    /// T.38 fax and similar.
    Image,
    Application,
    Text,
    Message,
    Other(String),
}

/// The transport protocol of an `m=` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaProto {
    RtpAvp,
    RtpAvpf,
    RtpSavp,
    RtpSavpf,
    /// `UDP/TLS/RTP/SAVPF` (WebRTC).
    UdpTlsRtpSavpf,
    /// `udptl` (T.38).
    Udptl,
    Other(String),
}

/// One `m=` section with the attributes that follow it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Media {
    pub kind: MediaKind,
    /// RTP port; 0 means the stream is disabled.
    pub port: u16,
    /// The `/<number of ports>` suffix, if any.
    pub port_count: Option<u16>,
    pub proto: MediaProto,
    /// Format list as written (payload type numbers for RTP).
    pub formats: Vec<String>,
    /// Media-level `c=`.
    pub connection: Option<Connection>,
    pub rtpmaps: Vec<RtpMap>,
    pub fmtps: Vec<Fmtp>,
    /// Media-level direction attribute.
    pub direction: Option<Direction>,
    /// `a=rtcp:` (RFC 3605).
    pub rtcp: Option<RtcpAttr>,
    /// `a=rtcp-mux` (RFC 5761).
    pub rtcp_mux: bool,
    /// `a=ptime:`, milliseconds.
    pub ptime_ms: Option<u32>,
}

/// `a=rtpmap:<pt> <name>/<clock>[/<channels>]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RtpMap {
    pub payload_type: u8,
    pub encoding: String,
    pub clock_rate_hz: u32,
    pub channels: Option<u8>,
}

/// `a=fmtp:<format> <parameters>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fmtp {
    pub format: String,
    pub params: String,
}

/// `a=rtcp:<port> [IN IP4 <addr>]` (RFC 3605).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RtcpAttr {
    pub port: u16,
    pub address: Option<String>,
}

/// A payload type resolved to a codec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Codec {
    pub payload_type: u8,
    pub name: String,
    pub clock_rate_hz: u32,
}

/// An entry of the RFC 3551 static payload type table (§6, tables 4 and 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StaticPayloadType {
    pub payload_type: u8,
    pub name: &'static str,
    /// RTP clock rate; G722 says 8000 although it samples at 16 kHz (RFC 3551 §4.5.2).
    pub clock_rate_hz: u32,
}

const fn pt(payload_type: u8, name: &'static str, clock_rate_hz: u32) -> StaticPayloadType {
    StaticPayloadType {
        payload_type,
        name,
        clock_rate_hz,
    }
}

/// RFC 3551 §6 static payload types.
pub static STATIC_PAYLOAD_TYPES: &[StaticPayloadType] = &[
    pt(0, "PCMU", 8000),
    pt(3, "GSM", 8000),
    pt(4, "G723", 8000),
    pt(5, "DVI4", 8000),
    pt(6, "DVI4", 16000),
    pt(7, "LPC", 8000),
    pt(8, "PCMA", 8000),
    pt(9, "G722", 8000),
    pt(10, "L16", 44100),
    pt(11, "L16", 44100),
    pt(12, "QCELP", 8000),
    pt(13, "CN", 8000),
    pt(14, "MPA", 90000),
    pt(15, "G728", 8000),
    pt(16, "DVI4", 11025),
    pt(17, "DVI4", 22050),
    pt(18, "G729", 8000),
    pt(25, "CelB", 90000),
    pt(26, "JPEG", 90000),
    pt(28, "nv", 90000),
    pt(31, "H261", 90000),
    pt(32, "MPV", 90000),
    pt(33, "MP2T", 90000),
    pt(34, "H263", 90000),
];

/// Looks up a static payload type.
pub fn static_payload_type(payload_type: u8) -> Option<&'static StaticPayloadType> {
    STATIC_PAYLOAD_TYPES
        .iter()
        .find(|entry| entry.payload_type == payload_type)
}

impl Sdp {
    /// Every codec offered, media section by media section, in `m=` order: `a=rtpmap` first, then the
    /// static table. Dynamic types without an rtpmap are left out.
    pub fn codecs(&self) -> Vec<Codec> {
        self.media.iter().flat_map(Media::codecs).collect()
    }

    /// The direction that applies to a media section: its own, else the session's, else sendrecv.
    pub fn direction_of(&self, media: &Media) -> Direction {
        media.direction.or(self.direction).unwrap_or_default()
    }

    /// The connection address that applies to a media section: its own `c=`, else the session's.
    pub fn address_of<'a>(&'a self, media: &'a Media) -> Option<&'a str> {
        media
            .connection
            .as_ref()
            .or(self.connection.as_ref())
            .map(|c| c.address.as_str())
    }
}

impl Media {
    /// The numeric payload types of the format list (RTP media).
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats
            .iter()
            .filter_map(|f| f.parse::<u8>().ok())
            .filter(|pt| *pt < 128)
    }

    /// This section's codecs, resolved as for [`Sdp::codecs`].
    pub fn codecs(&self) -> Vec<Codec> {
        self.payload_types()
            .filter_map(|payload_type| {
                if let Some(map) = self.rtpmaps.iter().find(|m| m.payload_type == payload_type) {
                    return Some(Codec {
                        payload_type,
                        name: map.encoding.clone(),
                        clock_rate_hz: map.clock_rate_hz,
                    });
                }
                static_payload_type(payload_type).map(|entry| Codec {
                    payload_type,
                    name: entry.name.to_owned(),
                    clock_rate_hz: entry.clock_rate_hz,
                })
            })
            .collect()
    }

    /// The RTCP port: `a=rtcp`, else the RTP port with `a=rtcp-mux`, else RTP port + 1 (RFC 3550 §11).
    pub fn rtcp_port(&self) -> u16 {
        match (&self.rtcp, self.rtcp_mux) {
            (Some(attr), _) => attr.port,
            (None, true) => self.port,
            (None, false) => self.port.saturating_add(1),
        }
    }
}

/// Reads an SDP body leniently; never fails.
pub fn parse(body: &str) -> Sdp {
    let mut sdp = Sdp::default();
    for line in body.lines() {
        let line = line.trim_end_matches('\r');
        let Some((kind, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        match kind.trim() {
            "o" => sdp.origin = Some(value.to_owned()),
            "s" => sdp.session_name = Some(value.to_owned()),
            "c" => {
                let connection = parse_connection(value);
                match sdp.media.last_mut() {
                    Some(media) => media.connection = connection.or(media.connection.take()),
                    None => sdp.connection = connection.or(sdp.connection.take()),
                }
            }
            "m" => {
                if let Some(media) = parse_media(value) {
                    sdp.media.push(media);
                }
            }
            "a" => match sdp.media.last_mut() {
                Some(media) => apply_media_attribute(media, value),
                None => {
                    if let Some(direction) = parse_direction(value) {
                        sdp.direction = Some(direction);
                    }
                }
            },
            _ => {}
        }
    }
    sdp
}

fn parse_connection(value: &str) -> Option<Connection> {
    let mut parts = value.split_ascii_whitespace();
    let _net_type = parts.next()?;
    let addr_type = parts.next()?;
    let address = parts.next()?;
    let address = address.split_once('/').map_or(address, |(addr, _ttl)| addr);
    Some(Connection {
        addr_type: addr_type.to_owned(),
        address: address.to_owned(),
    })
}

fn parse_media(value: &str) -> Option<Media> {
    let mut parts = value.split_ascii_whitespace();
    let kind = match parts.next()? {
        "audio" => MediaKind::Audio,
        "video" => MediaKind::Video,
        "image" => MediaKind::Image,
        "application" => MediaKind::Application,
        "text" => MediaKind::Text,
        "message" => MediaKind::Message,
        other => MediaKind::Other(other.to_owned()),
    };
    let port_text = parts.next()?;
    let (port, port_count) = match port_text.split_once('/') {
        Some((port, count)) => (port.parse().ok()?, count.parse().ok()),
        None => (port_text.parse().ok()?, None),
    };
    let proto = match parts.next().unwrap_or("") {
        p if p.eq_ignore_ascii_case("RTP/AVP") => MediaProto::RtpAvp,
        p if p.eq_ignore_ascii_case("RTP/AVPF") => MediaProto::RtpAvpf,
        p if p.eq_ignore_ascii_case("RTP/SAVP") => MediaProto::RtpSavp,
        p if p.eq_ignore_ascii_case("RTP/SAVPF") => MediaProto::RtpSavpf,
        p if p.eq_ignore_ascii_case("UDP/TLS/RTP/SAVPF") => MediaProto::UdpTlsRtpSavpf,
        p if p.eq_ignore_ascii_case("udptl") => MediaProto::Udptl,
        other => MediaProto::Other(other.to_owned()),
    };
    Some(Media {
        kind,
        port,
        port_count,
        proto,
        formats: parts.map(str::to_owned).collect(),
        connection: None,
        rtpmaps: Vec::new(),
        fmtps: Vec::new(),
        direction: None,
        rtcp: None,
        rtcp_mux: false,
        ptime_ms: None,
    })
}

fn parse_direction(attribute: &str) -> Option<Direction> {
    match attribute {
        "sendrecv" => Some(Direction::SendRecv),
        "sendonly" => Some(Direction::SendOnly),
        "recvonly" => Some(Direction::RecvOnly),
        "inactive" => Some(Direction::Inactive),
        _ => None,
    }
}

fn apply_media_attribute(media: &mut Media, attribute: &str) {
    if let Some(direction) = parse_direction(attribute) {
        media.direction = Some(direction);
        return;
    }
    let (name, value) = attribute.split_once(':').unwrap_or((attribute, ""));
    let value = value.trim();
    match name {
        "rtpmap" => media.rtpmaps.extend(parse_rtpmap(value)),
        "fmtp" => {
            let (format, params) = value.split_once(' ').unwrap_or((value, ""));
            media.fmtps.push(Fmtp {
                format: format.to_owned(),
                params: params.trim().to_owned(),
            });
        }
        "rtcp" => {
            let mut parts = value.split_ascii_whitespace();
            if let Some(port) = parts.next().and_then(|p| p.parse().ok()) {
                let address = parts.nth(2).map(str::to_owned);
                media.rtcp = Some(RtcpAttr { port, address });
            }
        }
        "rtcp-mux" => media.rtcp_mux = true,
        "ptime" => media.ptime_ms = value.parse().ok(),
        _ => {}
    }
}

fn parse_rtpmap(value: &str) -> Option<RtpMap> {
    let (pt, encoding) = value.split_once(' ')?;
    let mut parts = encoding.trim().split('/');
    let name = parts.next().filter(|n| !n.is_empty())?;
    let clock_rate_hz = parts.next()?.trim().parse().ok()?;
    let channels = parts.next().and_then(|c| c.trim().parse().ok());
    Some(RtpMap {
        payload_type: pt.trim().parse().ok()?,
        encoding: name.to_owned(),
        clock_rate_hz,
        channels,
    })
}

#[cfg(test)]
mod tests;
