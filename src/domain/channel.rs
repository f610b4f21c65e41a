//! Sales channels: which an order may come in through, and who may post for which.
//!
//! A public channel (`web`, `marketplace`, `phone`) is a name a storefront or an import
//! uses. An internal channel is the server's alone: `replacement` for the free orders a
//! refund asks for, and `connector:…` for the storefront connectors to come, so a
//! connector's channel can never equal a public one. Nobody may post an order into an
//! internal channel: an integration key that could pre-create `replacement` / `RF-000014`
//! would have the real customer's replacement recognised as its own order.

use std::fmt;

/// The shop's own web store: the channel of the demo storefront.
pub const WEB: &str = "web";
/// The channel of replacements placed by refunds.
pub const REPLACEMENT: &str = "replacement";
/// What begins the channel of every storefront connector; `:` is not allowed in public names.
pub const CONNECTOR_PREFIX: &str = "connector:";
/// Longest channel name.
pub const MAX_LEN: usize = 40;

/// Why an order may not be posted into a channel.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelRefusal {
    #[error(
        "channel {0:?} is not a channel name: 1–{MAX_LEN} lower-case letters, digits, '-' or '_'"
    )]
    Malformed(String),
    #[error("channel {0:?} is the server's own; orders are never posted into it")]
    Internal(String),
    #[error("this user may post orders for {allowed} only, not for {channel:?}", allowed = .allowed.join(", "))]
    NotBound {
        channel: String,
        allowed: Vec<String>,
    },
}

/// A public channel's name, checked: what storefronts, imports and bindings use.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublicChannel(String);

impl PublicChannel {
    /// Reads a name as people type it: surrounding blanks and capitals do not matter.
    pub fn parse(name: &str) -> Result<Self, ChannelRefusal> {
        let name = name.trim().to_ascii_lowercase();
        let name = name.as_str();
        if is_internal(name) {
            return Err(ChannelRefusal::Internal(name.to_string()));
        }
        let well_formed = (1..=MAX_LEN).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if well_formed {
            Ok(PublicChannel(name.to_string()))
        } else {
            Err(ChannelRefusal::Malformed(name.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PublicChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a channel belongs to the server alone.
pub fn is_internal(channel: &str) -> bool {
    channel == REPLACEMENT || channel.starts_with(CONNECTOR_PREFIX)
}

/// Whether a user may post an order into `channel`. `binding` is the channels the user is
/// bound to; `None` is a user from before bindings existed, who may post any public channel.
pub fn may_post(
    binding: Option<&[PublicChannel]>,
    channel: &str,
) -> Result<PublicChannel, ChannelRefusal> {
    let channel = PublicChannel::parse(channel)?;
    match binding {
        Some(allowed) if !allowed.contains(&channel) => Err(ChannelRefusal::NotBound {
            channel: channel.0,
            allowed: allowed.iter().map(|c| c.0.clone()).collect(),
        }),
        _ => Ok(channel),
    }
}

/// A binding as given (`web,marketplace` or repeated names): each checked, in order, once.
pub fn binding<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<PublicChannel>, ChannelRefusal> {
    let mut channels: Vec<PublicChannel> = Vec::new();
    for name in names
        .into_iter()
        .flat_map(|n| n.split(','))
        .filter(|n| !n.trim().is_empty())
    {
        let channel = PublicChannel::parse(name)?;
        if !channels.contains(&channel) {
            channels.push(channel);
        }
    }
    Ok(channels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chans(names: &[&str]) -> Vec<PublicChannel> {
        binding(names.iter().copied()).expect("valid")
    }

    #[test]
    fn internal_channels_are_refused_to_everyone() {
        for name in [
            "replacement",
            " replacement ",
            "connector:shopify",
            "connector:",
        ] {
            assert!(
                matches!(may_post(None, name), Err(ChannelRefusal::Internal(_))),
                "{name}"
            );
            assert!(
                matches!(
                    may_post(Some(&chans(&["web"])), name),
                    Err(ChannelRefusal::Internal(_))
                ),
                "{name}"
            );
        }
    }

    #[test]
    fn a_public_name_cannot_look_like_a_connector() {
        assert!(matches!(
            PublicChannel::parse("shopify:x"),
            Err(ChannelRefusal::Malformed(_))
        ));
        assert_eq!(PublicChannel::parse(" Web ").expect("web").as_str(), "web");
        assert!(matches!(
            PublicChannel::parse("REPLACEMENT"),
            Err(ChannelRefusal::Internal(_))
        ));
        assert!(matches!(
            PublicChannel::parse("web\u{202e}"),
            Err(ChannelRefusal::Malformed(_))
        ));
        assert!(matches!(
            PublicChannel::parse(""),
            Err(ChannelRefusal::Malformed(_))
        ));
        assert!(PublicChannel::parse(&"a".repeat(MAX_LEN)).is_ok());
        assert!(PublicChannel::parse(&"a".repeat(MAX_LEN + 1)).is_err());
    }

    #[test]
    fn a_bound_user_posts_only_for_its_channels() {
        let bound = chans(&["web", "marketplace"]);
        assert_eq!(may_post(Some(&bound), "web").expect("web").as_str(), "web");
        assert_eq!(
            may_post(Some(&bound), "phone"),
            Err(ChannelRefusal::NotBound {
                channel: "phone".into(),
                allowed: vec!["web".into(), "marketplace".into()],
            })
        );
        assert!(may_post(Some(&[]), "web").is_err(), "bound to nothing");
    }

    #[test]
    fn an_unbound_user_posts_any_public_channel() {
        assert!(may_post(None, "phone").is_ok());
    }

    #[test]
    fn bindings_read_commas_and_repeats() {
        let got = chans(&["web,marketplace", "web", " phone "]);
        let names: Vec<&str> = got.iter().map(PublicChannel::as_str).collect();
        assert_eq!(names, ["web", "marketplace", "phone"]);
        assert!(binding(["web,replacement"]).is_err());
    }
}
