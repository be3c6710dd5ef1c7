//! CIDR arithmetic for IPv4 and IPv6 alike (addresses as `u128`): parse "a.b.c.d/n",
//! containment, overlap, the gateway (first host address) and the last usable address.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A subnet: its network address (host bits zero) and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Subnet {
    pub network: IpAddr,
    pub prefix: u8,
}

/// Why a CIDR string is not a subnet (the caller words the message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CidrError {
    /// Not "address/prefix" with a valid address and a number.
    Syntax,
    /// The prefix is longer than the address family allows.
    PrefixTooLong,
    /// Bits are set after the prefix ("192.168.1.5/24"); holds the subnet meant.
    HostBitsSet(Subnet),
}

pub fn width(ip: IpAddr) -> u8 {
    match ip {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

pub fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// The address of `family` (the family of `like`) with value `v`.
pub fn from_u128(like: IpAddr, v: u128) -> IpAddr {
    match like {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(v as u32)),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(v)),
    }
}

fn mask(w: u8, prefix: u8) -> u128 {
    let host_bits = u32::from(w - prefix);
    let all = if w == 128 {
        u128::MAX
    } else {
        (1u128 << w) - 1
    };
    if host_bits >= 128 {
        0
    } else {
        all & !((1u128 << host_bits) - 1)
    }
}

/// A netmask ("255.255.255.0") as a prefix length; `None` when not contiguous.
pub fn netmask_prefix(mask: Ipv4Addr) -> Option<u8> {
    let m = u32::from(mask);
    let ones = m.count_ones();
    (m.leading_ones() == ones).then_some(ones as u8)
}

impl Subnet {
    /// "192.168.100.0/24" or "fd00:1::/64"; surrounding spaces are ignored.
    pub fn parse(text: &str) -> Result<Subnet, CidrError> {
        let (addr, prefix) = text.trim().split_once('/').ok_or(CidrError::Syntax)?;
        let addr: IpAddr = addr.trim().parse().map_err(|_| CidrError::Syntax)?;
        let prefix = prefix.trim();
        if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) || prefix.len() > 3 {
            return Err(CidrError::Syntax);
        }
        let prefix: u8 = prefix.parse().map_err(|_| CidrError::Syntax)?;
        if prefix > width(addr) {
            return Err(CidrError::PrefixTooLong);
        }
        let net = Subnet::containing(addr, prefix);
        if net.network != addr {
            return Err(CidrError::HostBitsSet(net));
        }
        Ok(net)
    }

    /// The subnet of `prefix` bits that `addr` is in.
    pub fn containing(addr: IpAddr, prefix: u8) -> Subnet {
        let prefix = prefix.min(width(addr));
        let v = to_u128(addr) & mask(width(addr), prefix);
        Subnet {
            network: from_u128(addr, v),
            prefix,
        }
    }

    pub fn is_ipv4(&self) -> bool {
        self.network.is_ipv4()
    }

    fn mask(&self) -> u128 {
        mask(width(self.network), self.prefix)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        ip.is_ipv4() == self.is_ipv4() && to_u128(ip) & self.mask() == to_u128(self.network)
    }

    /// Whether the two share any address (same family, one inside the other).
    pub fn overlaps(&self, other: &Subnet) -> bool {
        self.contains(other.network) || other.contains(self.network)
    }

    /// The first host address: the network's own address on the bridge, the guests'
    /// gateway.
    pub fn gateway(&self) -> IpAddr {
        from_u128(self.network, to_u128(self.network) + 1)
    }

    /// The last address in the subnet (IPv4: the broadcast address).
    pub fn last(&self) -> IpAddr {
        from_u128(
            self.network,
            to_u128(self.network) | !self.mask() & all(self.network),
        )
    }

    /// Whether `ip` is an address a guest can have: inside, not the network address and
    /// (IPv4) not the broadcast address.
    pub fn is_host(&self, ip: IpAddr) -> bool {
        self.contains(ip)
            && ip != self.network
            && !(self.is_ipv4() && ip == self.last() && self.prefix < 31)
    }
}

fn all(like: IpAddr) -> u128 {
    match like {
        IpAddr::V4(_) => u128::from(u32::MAX),
        IpAddr::V6(_) => u128::MAX,
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parse_and_arithmetic() {
        let n = Subnet::parse(" 192.168.100.0/24 ").unwrap();
        assert_eq!(n.to_string(), "192.168.100.0/24");
        assert_eq!(n.gateway(), ip("192.168.100.1"));
        assert_eq!(n.last(), ip("192.168.100.255"));
        assert!(n.contains(ip("192.168.100.77")));
        assert!(!n.contains(ip("192.168.101.1")));
        assert!(!n.contains(ip("fd00::1")));
        assert!(n.is_host(ip("192.168.100.254")));
        assert!(!n.is_host(ip("192.168.100.255")));
        assert!(!n.is_host(ip("192.168.100.0")));

        let v6 = Subnet::parse("fd00:1::/64").unwrap();
        assert_eq!(v6.gateway(), ip("fd00:1::1"));
        assert_eq!(v6.last(), ip("fd00:1::ffff:ffff:ffff:ffff"));
        assert!(v6.is_host(v6.last()));

        assert_eq!(Subnet::parse("10.0.0.0"), Err(CidrError::Syntax));
        assert_eq!(Subnet::parse("10.0.0/8"), Err(CidrError::Syntax));
        assert_eq!(Subnet::parse("10.0.0.0/x"), Err(CidrError::Syntax));
        assert_eq!(Subnet::parse("10.0.0.0/-1"), Err(CidrError::Syntax));
        assert_eq!(Subnet::parse("10.0.0.0/33"), Err(CidrError::PrefixTooLong));
        assert_eq!(
            Subnet::parse("10.0.0.5/8"),
            Err(CidrError::HostBitsSet(Subnet::parse("10.0.0.0/8").unwrap()))
        );
        assert_eq!(
            Subnet::parse("0.0.0.0/0").unwrap().last(),
            ip("255.255.255.255")
        );
        assert_eq!(Subnet::parse("::/0").unwrap().prefix, 0);
    }

    #[test]
    fn overlap() {
        let a = Subnet::parse("10.0.0.0/8").unwrap();
        let b = Subnet::parse("10.20.0.0/16").unwrap();
        let c = Subnet::parse("192.168.0.0/16").unwrap();
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&c));
        assert!(!a.overlaps(&Subnet::parse("::/0").unwrap()));
    }

    #[test]
    fn netmasks() {
        assert_eq!(netmask_prefix("255.255.255.0".parse().unwrap()), Some(24));
        assert_eq!(netmask_prefix("255.255.0.255".parse().unwrap()), None);
        assert_eq!(netmask_prefix("0.0.0.0".parse().unwrap()), Some(0));
    }
}
