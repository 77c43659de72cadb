//! The one rule of which addresses count as private: a server must not be made
//! to fetch from them on a user's behalf. Loopback, private ranges, link-local,
//! CGNAT, multicast, unspecified, reserved and special-purpose ranges, and IPv6
//! addresses that embed an IPv4 address which is itself private.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// True for addresses a server should not be made to fetch from on a user's behalf.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => is_private_v6(v6),
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || a == 0 // 0.0.0.0/8 "this network"
        || a == 100 && (b & 0xc0) == 64 // 100.64.0.0/10 CGNAT
        || a == 192 && b == 0 && c == 0 // 192.0.0.0/24 IETF protocol assignments
        || a == 198 && (b & 0xfe) == 18 // 198.18.0.0/15 benchmarking
        || a >= 240 // 240.0.0.0/4 reserved, and the broadcast address
}

fn is_private_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_private_v4(v4);
    }
    let segments = ip.segments();
    ip.is_multicast()
        || segments[..6] == [0; 6] // ::/96 IPv4-compatible (deprecated), with :: and ::1
        || (segments[0] & 0xfe00) == 0xfc00 // fc00::/7 unique local
        || (segments[0] & 0xffc0) == 0xfe80 // fe80::/10 link local
}

/// The IPv4 address an IPv6 address stands for, in the forms that reach an
/// IPv4 host: mapped, translated, NAT64 and 6to4.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let [.., a, b, c, d] = ip.octets();
    let last32 = Ipv4Addr::new(a, b, c, d);
    match ip.segments() {
        // ::ffff:0:0/96 IPv4-mapped
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(last32),
        // ::ffff:0:0:0/96 IPv4-translated
        [0, 0, 0, 0, 0xffff, 0, _, _] => Some(last32),
        // 64:ff9b::/96 NAT64
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(last32),
        // 2002::/16 6to4: the IPv4 address follows the prefix
        [0x2002, high, low, ..] => Some(Ipv4Addr::from((u32::from(high) << 16) | u32::from(low))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::is_private;

    fn private(ip: &str) -> bool {
        is_private(ip.parse().unwrap())
    }

    #[test]
    fn private_and_special_ipv4_ranges_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.1.1",
            "172.16.0.1",
            "169.254.1.1",
            "0.0.0.0",
            "0.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.0.1",
            "192.0.0.255",
            "198.18.0.1",
            "198.19.255.255",
            "240.0.0.1",
            "250.1.2.3",
        ] {
            assert!(private(ip), "{ip} should be private");
        }
        for ip in [
            "1.1.1.1",
            "93.184.216.34",
            "172.32.0.1",
            "100.128.0.1",
            "192.0.1.1",
            "198.17.255.255",
            "198.20.0.1",
            "223.255.255.255",
        ] {
            assert!(!private(ip), "{ip} should be public");
        }
    }

    #[test]
    fn private_ipv6_ranges_are_refused() {
        for ip in ["::1", "::", "fe80::1", "fd00::1", "fc00::1", "ff02::1"] {
            assert!(private(ip), "{ip} should be private");
        }
        for ip in ["2606:4700::1111", "2001:4860:4860::8888"] {
            assert!(!private(ip), "{ip} should be public");
        }
    }

    #[test]
    fn ipv6_forms_of_ipv4_addresses_are_judged_by_their_ipv4_address() {
        // IPv4-mapped and IPv4-translated.
        assert!(private("::ffff:127.0.0.1"));
        assert!(private("::ffff:10.0.0.1"));
        assert!(!private("::ffff:1.1.1.1"));
        assert!(private("::ffff:0:192.168.0.1"));
        assert!(!private("::ffff:0:1.1.1.1"));
        // NAT64.
        assert!(private("64:ff9b::127.0.0.1"));
        assert!(private("64:ff9b::a9fe:a9fe")); // 169.254.169.254
        assert!(!private("64:ff9b::1.1.1.1"));
        // 6to4: 2002:AABB:CCDD:: embeds AA.BB.CC.DD.
        assert!(private("2002:7f00:1::"));
        assert!(private("2002:c0a8:101::1"));
        assert!(!private("2002:101:101::1"));
        // IPv4-compatible addresses are deprecated: all of ::/96 is refused.
        assert!(private("::1.1.1.1"));
        assert!(private("::127.0.0.1"));
    }
}
