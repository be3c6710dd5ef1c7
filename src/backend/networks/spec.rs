//! The typed model of a network KVM Manager defines ([`NetDef`], made by
//! [`super::validate`] from the form's [`super::NetworkSpec`]), written out with
//! quick_xml's writer; nothing is formatted from strings.
//!
//! libvirt fills in the rest when the XML is defined: UUID, bridge name (`virbrN`) and
//! MAC address for the modes that own a bridge.

use std::io::Cursor;
use std::net::IpAddr;

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event as XmlEvent};
use quick_xml::Writer;

use super::{DhcpHost, NetMode};

/// One `<ip>` element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IpDef {
    /// The host's address on the network (the gateway).
    pub address: IpAddr,
    pub prefix: u8,
    /// DHCP range; `None`: no `<dhcp>`.
    pub dhcp: Option<(IpAddr, IpAddr)>,
    pub hosts: Vec<DhcpHost>,
}

/// A validated network, ready to be written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NetDef {
    pub name: String,
    pub mode: NetMode,
    /// The bridge to use: the host bridge in Bridge mode; `None` lets libvirt pick.
    pub bridge: Option<String>,
    pub forward_dev: Option<String>,
    pub domain: Option<String>,
    /// IPv4 first, then IPv6.
    pub ips: Vec<IpDef>,
}

/// Writing into a `Vec` cannot fail, so results are dropped here once.
struct Xw(Writer<Cursor<Vec<u8>>>);

impl Xw {
    fn start(tag: &str, attrs: &[(&str, &str)]) -> BytesStart<'static> {
        let mut s = BytesStart::new(tag.to_owned());
        s.extend_attributes(attrs.iter().copied());
        s
    }
    fn open(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        let _ = self.0.write_event(XmlEvent::Start(Self::start(tag, attrs)));
    }
    fn close(&mut self, tag: &str) {
        let _ = self.0.write_event(XmlEvent::End(BytesEnd::new(tag)));
    }
    fn empty(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        let _ = self.0.write_event(XmlEvent::Empty(Self::start(tag, attrs)));
    }
    fn text(&mut self, tag: &str, text: &str) {
        self.open(tag, &[]);
        let _ = self.0.write_event(XmlEvent::Text(BytesText::new(text)));
        self.close(tag);
    }
    fn finish(self) -> String {
        String::from_utf8(self.0.into_inner().into_inner()).unwrap_or_default()
    }
}

fn indented() -> Xw {
    Xw(Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 2))
}

impl NetDef {
    /// The network XML, indented by two spaces.
    pub fn to_xml(&self) -> String {
        let mut w = indented();
        w.open("network", &[]);
        w.text("name", &self.name);
        if let Some(mode) = self.mode.forward_mode() {
            let mut attrs = vec![("mode", mode)];
            if let Some(dev) = &self.forward_dev {
                attrs.push(("dev", dev));
            }
            w.empty("forward", &attrs);
        }
        match (&self.mode, &self.bridge) {
            (NetMode::Bridge, Some(b)) => w.empty("bridge", &[("name", b)]),
            (NetMode::Bridge, None) => {}
            (_, Some(b)) => w.empty("bridge", &[("name", b), ("stp", "on"), ("delay", "0")]),
            (_, None) => w.empty("bridge", &[("stp", "on"), ("delay", "0")]),
        }
        if let Some(d) = &self.domain {
            // Names in the domain are answered by the network's dnsmasq and never sent
            // to the host's resolvers.
            w.empty("domain", &[("name", d), ("localOnly", "yes")]);
        }
        for ip in &self.ips {
            write_ip(&mut w, ip);
        }
        w.close("network");
        w.finish()
    }
}

fn write_ip(w: &mut Xw, ip: &IpDef) {
    let address = ip.address.to_string();
    let prefix = ip.prefix.to_string();
    let mut attrs = Vec::new();
    if ip.address.is_ipv6() {
        attrs.push(("family", "ipv6"));
    }
    attrs.push(("address", &address));
    attrs.push(("prefix", &prefix));
    if ip.dhcp.is_none() && ip.hosts.is_empty() {
        w.empty("ip", &attrs);
        return;
    }
    w.open("ip", &attrs);
    w.open("dhcp", &[]);
    if let Some((start, end)) = ip.dhcp {
        range_into(w, start, end);
    }
    for h in &ip.hosts {
        host_into(w, h);
    }
    w.close("dhcp");
    w.close("ip");
}

fn range_into(w: &mut Xw, start: IpAddr, end: IpAddr) {
    let (s, e) = (start.to_string(), end.to_string());
    w.empty("range", &[("start", &s), ("end", &e)]);
}

fn host_into(w: &mut Xw, h: &DhcpHost) {
    let ip = h.ip.to_string();
    let mut attrs = vec![("mac", h.mac.as_str())];
    if let Some(n) = &h.name {
        attrs.push(("name", n));
    }
    attrs.push(("ip", &ip));
    w.empty("host", &attrs);
}

/// `<range start=… end=…/>`, the fragment net-update takes for a DHCP range.
pub fn range_xml(start: IpAddr, end: IpAddr) -> String {
    let mut w = Xw(Writer::new(Cursor::new(Vec::new())));
    range_into(&mut w, start, end);
    w.finish()
}

/// `<host mac=… name=… ip=…/>`, the fragment net-update takes for a static host.
pub fn host_xml(h: &DhcpHost) -> String {
    let mut w = Xw(Writer::new(Cursor::new(Vec::new())));
    host_into(&mut w, h);
    w.finish()
}
