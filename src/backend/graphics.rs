//! Where a running machine's screen can be reached: its first VNC (else SPICE) graphics
//! device in the LIVE domain XML, as a [`GraphicsEndpoint`].
//!
//! Preferably the console gets sockets straight from libvirt (`virDomainOpenGraphicsFD`):
//! no port needs to be reachable and no listen address matters. Where the driver cannot
//! (remote URIs over SSH, the test driver, old QEMU) the endpoint carries libvirt's reason
//! in `fd_error` and the listen address and port instead, with a wildcard listen address
//! turned into something one can connect to. The VNC/SPICE password is read from the
//! secure XML when the connection may see it.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Mutex};

use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;

use super::error::{BackendError, ErrorKind};
use super::summary;
use super::xml::{parse_tree, Element};
use crate::i18n::gettext_f;

/// The protocol of a graphics device the app can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    Vnc,
    Spice,
}

/// A socket handed over from the worker thread to the UI, taken once.
///
/// `Clone` shares the same slot (events are cloned); equality is identity.
#[derive(Debug, Clone)]
pub struct SharedFd(Arc<Mutex<Option<OwnedFd>>>);

impl SharedFd {
    pub fn new(fd: OwnedFd) -> SharedFd {
        SharedFd(Arc::new(Mutex::new(Some(fd))))
    }

    /// The socket, the first time it is asked for; `None` afterwards.
    pub fn take(&self) -> Option<OwnedFd> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

impl PartialEq for SharedFd {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SharedFd {}

/// How to reach one machine's screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphicsEndpoint {
    pub protocol: Protocol,
    /// Position of the `<graphics>` element among the domain's graphics devices.
    pub index: u32,
    /// Address to connect to (a wildcard listen address mapped to the connection's host,
    /// 127.0.0.1 for local URIs); `None` when the device has no network listener, or
    /// listens on the remote host's loopback only.
    pub host: Option<String>,
    pub port: Option<u16>,
    /// SPICE's TLS port.
    pub tls_port: Option<u16>,
    /// A UNIX socket the server listens on (local connections).
    pub socket: Option<String>,
    /// The `passwd` attribute (only visible on connections that may read secrets).
    pub password: Option<String>,
    /// Sockets from `virDomainOpenGraphicsFD`, as many as asked for (empty when refused).
    pub fds: Vec<SharedFd>,
    /// Why libvirt gave no sockets, in its words.
    pub fd_error: Option<String>,
}

/// Console requests (handled by the worker in `worker_graphics`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphicsCommand {
    /// Find the graphics device of a running machine and open `fds` sockets to it
    /// (0: just the address; SPICE needs one per channel). Answered with
    /// [`GraphicsEvent::Opened`] carrying the same `request`.
    Open { uuid: String, request: u64, fds: u8 },
}

/// Answers to [`GraphicsCommand`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphicsEvent {
    /// `Ok(None)`: the machine has no VNC or SPICE device. Not running: `InvalidState`.
    Opened {
        uuid: String,
        request: u64,
        result: Result<Option<GraphicsEndpoint>, BackendError>,
    },
}

/// Read the live XML of machine `uuid` on `conn` (opened with `uri`) and open `fds`
/// sockets to its first VNC (else SPICE) device.
pub fn open(
    conn: &Connect,
    uri: &str,
    uuid: &str,
    fds: u8,
) -> Result<Option<GraphicsEndpoint>, BackendError> {
    let dom = summary::lookup(conn, uuid)?;
    let active = dom.is_active().map_err(|e| BackendError::from_virt(&e))?;
    if !active {
        let name = dom.name().unwrap_or_else(|_| uuid.to_owned());
        return Err(BackendError::new(
            ErrorKind::InvalidState,
            gettext_f(
                "“{name}” is not running: start it to see its screen.",
                &[("name", &name)],
            ),
        ));
    }
    let xml = live_xml(&dom)?;
    let Some(mut endpoint) = endpoint_from_xml(&xml, uri)? else {
        return Ok(None);
    };
    if fds > 0 {
        match open_fds(&dom, endpoint.index, fds) {
            Ok(list) => endpoint.fds = list.into_iter().map(SharedFd::new).collect(),
            Err(e) => {
                log::info!("{uri}: no graphics sockets from libvirt for {uuid}: {e}");
                endpoint.fd_error = Some(e);
            }
        }
    }
    Ok(Some(endpoint))
}

/// The live XML with secrets, or without them where the connection may not read them.
fn live_xml(dom: &Domain) -> Result<String, BackendError> {
    match dom.xml_desc(sys::VIR_DOMAIN_XML_SECURE) {
        Ok(x) => Ok(x),
        Err(e) => {
            let err = BackendError::from_virt(&e);
            if err.kind != ErrorKind::PermissionDenied {
                return Err(err);
            }
            log::info!("graphics password not readable: {}", err.message);
            dom.xml_desc(0).map_err(|e| BackendError::from_virt(&e))
        }
    }
}

/// Open `n` sockets to graphics device `index`; all or none.
fn open_fds(dom: &Domain, index: u32, n: u8) -> Result<Vec<OwnedFd>, String> {
    let mut out = Vec::with_capacity(n.into());
    for _ in 0..n {
        let fd = dom
            .open_graphics_fd(index, 0)
            .map_err(|e| e.message().to_owned())?;
        let raw = RawFd::try_from(fd).map_err(|e| e.to_string())?;
        // SAFETY: virDomainOpenGraphicsFD returns a new socket that the caller owns and
        // nothing else closes; wrapping it once makes it closed exactly once.
        out.push(unsafe { OwnedFd::from_raw_fd(raw) });
    }
    Ok(out)
}

/// The endpoint of the first VNC, else SPICE, `<graphics>` in a domain document, as
/// reached from a connection to `uri`. Pure: tested without libvirt.
pub fn endpoint_from_xml(xml: &str, uri: &str) -> Result<Option<GraphicsEndpoint>, BackendError> {
    let root = parse_tree(xml)?;
    let Some(devices) = root.child("devices") else {
        return Ok(None);
    };
    let graphics: Vec<&Element> = devices.children_named("graphics").collect();
    let find = |kind: &str| graphics.iter().position(|g| g.attr("type") == Some(kind));
    let (index, protocol) = match (find("vnc"), find("spice")) {
        (Some(i), _) => (i, Protocol::Vnc),
        (None, Some(i)) => (i, Protocol::Spice),
        (None, None) => return Ok(None),
    };
    let g = graphics[index];
    let listen = g.child("listen");
    let socket = g
        .attr("socket")
        .or_else(|| {
            listen
                .filter(|l| l.attr("type") == Some("socket"))
                .and_then(|l| l.attr("socket"))
        })
        .map(str::to_owned);
    let address = g
        .attr("listen")
        .or_else(|| {
            listen
                .filter(|l| matches!(l.attr("type"), None | Some("address") | Some("network")))
                .and_then(|l| l.attr("address"))
        })
        .map(str::to_owned);
    let port = |name: &str| {
        g.attr(name)
            .and_then(|p| p.parse::<u16>().ok())
            .filter(|p| *p > 0)
    };
    let (port, tls_port) = (port("port"), port("tlsPort"));
    let host = if port.is_some() || tls_port.is_some() {
        reachable_host(address.as_deref(), uri)
    } else {
        None
    };
    Ok(Some(GraphicsEndpoint {
        protocol,
        index: index as u32,
        host,
        port,
        tls_port,
        socket,
        password: g.attr("passwd").map(str::to_owned),
        fds: Vec::new(),
        fd_error: None,
    }))
}

/// The address to connect to for a device listening on `listen` of the host behind `uri`.
fn reachable_host(listen: Option<&str>, uri: &str) -> Option<String> {
    let remote = uri_host(uri);
    let listen = listen.map(|l| l.trim_matches(|c| c == '[' || c == ']'));
    let wildcard = matches!(listen, None | Some("") | Some("0.0.0.0") | Some("::"));
    let loopback =
        matches!(listen, Some(l) if l == "::1" || l.starts_with("127.") || l == "localhost");
    match (remote, listen) {
        (None, _) if wildcard || loopback => Some("127.0.0.1".to_owned()),
        (Some(h), _) if wildcard => Some(h),
        // The remote host's loopback is not ours: connecting there would reach whatever
        // listens on this machine.
        (Some(_), _) if loopback => None,
        (_, Some(l)) => Some(l.to_owned()),
        (_, None) => None,
    }
}

/// The host part of a libvirt URI (`qemu+ssh://user@host:22/system` → `host`); `None`
/// for local URIs.
pub fn uri_host(uri: &str) -> Option<String> {
    let rest = uri.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    let local = host.is_empty() || host == "localhost" || host.starts_with("127.") || host == "::1";
    (!local).then(|| host.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(devices: &str) -> String {
        format!("<domain type='kvm'><name>a</name><devices>{devices}</devices></domain>")
    }

    #[test]
    fn uri_hosts() {
        assert_eq!(uri_host("qemu:///system"), None);
        assert_eq!(uri_host("test:///default"), None);
        assert_eq!(
            uri_host("qemu+ssh://root@box.lan/system").as_deref(),
            Some("box.lan")
        );
        assert_eq!(
            uri_host("qemu+tcp://10.0.0.2:16509/system").as_deref(),
            Some("10.0.0.2")
        );
        assert_eq!(
            uri_host("qemu+ssh://u@[fe80::1]:22/system").as_deref(),
            Some("fe80::1")
        );
        assert_eq!(uri_host("qemu+ssh://localhost/system"), None);
        assert_eq!(uri_host("nonsense"), None);
    }

    #[test]
    fn vnc_is_preferred_and_wildcards_map_to_the_host() {
        let x = doc(
            "<graphics type='spice' port='5901' tlsPort='5902' listen='0.0.0.0'/>\
             <graphics type='vnc' port='5900' passwd='s3cret' listen='0.0.0.0'>\
             <listen type='address' address='0.0.0.0'/></graphics>",
        );
        let e = endpoint_from_xml(&x, "qemu:///system").unwrap().unwrap();
        assert_eq!(e.protocol, Protocol::Vnc);
        assert_eq!(e.index, 1);
        assert_eq!(e.host.as_deref(), Some("127.0.0.1"));
        assert_eq!(e.port, Some(5900));
        assert_eq!(e.password.as_deref(), Some("s3cret"));
        let e = endpoint_from_xml(&x, "qemu+ssh://root@box/system")
            .unwrap()
            .unwrap();
        assert_eq!(e.host.as_deref(), Some("box"));
    }

    #[test]
    fn spice_when_no_vnc() {
        let x = doc(
            "<graphics type='sdl'/><graphics type='spice' autoport='yes' port='5903' \
             tlsPort='5904'><listen type='address' address='192.168.1.9'/></graphics>",
        );
        let e = endpoint_from_xml(&x, "qemu:///system").unwrap().unwrap();
        assert_eq!((e.protocol, e.index), (Protocol::Spice, 1));
        assert_eq!((e.port, e.tls_port), (Some(5903), Some(5904)));
        assert_eq!(e.host.as_deref(), Some("192.168.1.9"));
        assert_eq!(e.password, None);
    }

    #[test]
    fn no_port_sockets_and_loopback_on_remote_hosts() {
        let x = doc("<graphics type='vnc' port='-1' autoport='yes'/>");
        let e = endpoint_from_xml(&x, "qemu:///system").unwrap().unwrap();
        assert_eq!((e.host, e.port), (None, None));
        let x = doc("<graphics type='vnc'><listen type='socket' socket='/run/v.sock'/></graphics>");
        let e = endpoint_from_xml(&x, "qemu:///system").unwrap().unwrap();
        assert_eq!(e.socket.as_deref(), Some("/run/v.sock"));
        let x = doc("<graphics type='vnc' port='5900' listen='127.0.0.1'/>");
        let e = endpoint_from_xml(&x, "qemu+ssh://h/system")
            .unwrap()
            .unwrap();
        assert_eq!(e.host, None);
        let e = endpoint_from_xml(&x, "qemu:///system").unwrap().unwrap();
        assert_eq!(e.host.as_deref(), Some("127.0.0.1"));
    }

    #[test]
    fn nothing_to_show() {
        assert_eq!(endpoint_from_xml(&doc(""), "qemu:///system").unwrap(), None);
        assert_eq!(
            endpoint_from_xml(&doc("<graphics type='egl-headless'/>"), "qemu:///system").unwrap(),
            None
        );
        assert_eq!(
            endpoint_from_xml("<domain/>", "qemu:///system").unwrap(),
            None
        );
        assert!(endpoint_from_xml("<domain", "qemu:///system").is_err());
    }

    #[test]
    fn shared_fds_are_taken_once_and_compare_by_identity() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let fd = SharedFd::new(OwnedFd::from(a));
        let copy = fd.clone();
        assert_eq!(fd, copy);
        assert!(copy.take().is_some());
        assert!(fd.take().is_none());
        let (c, _d) = std::os::unix::net::UnixStream::pair().unwrap();
        assert_ne!(fd, SharedFd::new(OwnedFd::from(c)));
    }
}
