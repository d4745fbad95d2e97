//! Which network addresses a webhook may be delivered to.
//!
//! A webhook is an administrator asking the server to make HTTP calls on
//! their behalf. Pointed at the server's own loopback, the cloud's metadata
//! service (169.254.169.254) or a private network, it would reach what only
//! the server can reach (server-side request forgery). So a delivery goes
//! only to a public unicast address, checked after the name is resolved,
//! unless the operator explicitly allows private targets (a receiver on the
//! same private network, or the test suite's receivers on 127.0.0.1).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused, for the delivery record and the 422.
pub fn refusal(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(address) => refusal_v4(address),
        IpAddr::V6(address) => refusal_v6(address),
    }
}

/// Whether a webhook may be delivered to `address`.
pub fn is_allowed(address: IpAddr) -> bool {
    refusal(address).is_none()
}

fn refusal_v4(address: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = address.octets();
    if address.is_unspecified() || a == 0 {
        Some("an unspecified (\"this network\") address")
    } else if address.is_loopback() {
        Some("a loopback address")
    } else if address.is_link_local() {
        Some("a link-local address (such as a cloud metadata service)")
    } else if address.is_private() {
        Some("a private (RFC 1918) address")
    } else if a == 100 && (64..128).contains(&b) {
        Some("a shared (carrier-grade NAT) address")
    } else if address.is_broadcast() {
        Some("the broadcast address")
    } else if address.is_multicast() {
        Some("a multicast address")
    } else if address.is_documentation() {
        Some("a documentation address")
    } else if a == 192 && b == 0 && c == 0 {
        Some("an IETF protocol assignment address")
    } else if a == 198 && (b == 18 || b == 19) {
        Some("a benchmarking address")
    } else if a >= 240 {
        Some("a reserved address")
    } else {
        None
    }
}

fn refusal_v6(address: Ipv6Addr) -> Option<&'static str> {
    // An IPv4 address written as IPv6 (`::ffff:127.0.0.1`) is that address.
    if let Some(mapped) = address.to_ipv4_mapped() {
        return refusal_v4(mapped);
    }
    let segments = address.segments();
    if address.is_unspecified() {
        Some("an unspecified address")
    } else if address.is_loopback() {
        Some("a loopback address")
    } else if address.is_multicast() {
        Some("a multicast address")
    } else if segments[0] & 0xffc0 == 0xfe80 {
        Some("a link-local address")
    } else if segments[0] & 0xfe00 == 0xfc00 {
        Some("a unique-local (private) address")
    } else if segments[0] & 0xffc0 == 0xfec0 {
        Some("a site-local (private) address")
    } else if segments[0] == 0x2001 && segments[1] == 0x0db8 {
        Some("a documentation address")
    } else if segments[..6] == [0; 6] {
        // The deprecated IPv4-compatible form `::a.b.c.d`.
        Some("an IPv4-compatible address")
    } else if segments[0] == 0x0064 && segments[1] == 0xff9b {
        // NAT64 (64:ff9b::/96) reaches the IPv4 address inside.
        let [_, _, _, _, _, _, high, low] = segments;
        let inner = Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
        refusal_v4(inner)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(text: &str) -> bool {
        text.parse::<IpAddr>().map(is_allowed).unwrap_or(true)
    }

    #[test]
    fn public_addresses_are_allowed() {
        for address in [
            "93.184.216.34",
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "172.32.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "64:ff9b::808:808",
        ] {
            assert!(allowed(address), "{address}");
        }
    }

    #[test]
    fn loopback_link_local_private_and_special_addresses_are_refused() {
        for address in [
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "239.255.255.250",
            "192.0.2.1",
            "198.51.100.1",
            "203.0.113.1",
            "198.18.0.1",
            "240.0.0.1",
            "::",
            "::1",
            "fe80::1",
            "fc00::1",
            "fd12:3456:789a::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(!allowed(address), "{address}");
        }
    }

    #[test]
    fn a_refusal_says_why() {
        let reason = "169.254.169.254"
            .parse::<IpAddr>()
            .ok()
            .and_then(refusal)
            .unwrap_or_default();
        assert!(reason.contains("link-local"), "{reason}");
    }
}
