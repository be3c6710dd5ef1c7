//! What a host offers the creation wizard ([`CreateOptions`]): storage pools with their
//! volumes and free space, virtual networks, host bridges, UEFI availability (libvirt's
//! domain capabilities), host CPUs and memory, and the domain type, arch and machine to
//! use (from libvirt's capabilities: kvm when available, else qemu; "test" on the test
//! driver).

use std::path::Path;

use virt::connect::Connect;
use virt::storage_pool::StoragePool;

use super::{CreateOptions, NetworkOption, PoolOption, VolumeOption};
use crate::backend::error::BackendError;
use crate::backend::xml::{parse_tree, Element};

fn err(e: virt::error::Error) -> BackendError {
    BackendError::from_virt(&e)
}

/// Gather everything the wizard shows. Fails only when the basic listings fail; optional
/// facts (bridges, UEFI) fall back to "none".
pub fn create_options(conn: &Connect) -> Result<CreateOptions, BackendError> {
    let node = conn.node_info().map_err(err)?;
    let caps = conn.capabilities().map_err(err)?;
    let (virt_type, arch, machine) = pick_guest(&parse_tree(&caps)?);
    let mut pools = Vec::new();
    for pool in conn.list_all_storage_pools(0).map_err(err)? {
        pools.push(pool_option(&pool)?);
    }
    pools.sort_by(|a, b| a.name.cmp(&b.name));
    let networks = networks(conn)?;
    let mut existing_names = conn
        .list_all_domains(0)
        .map_err(err)?
        .iter()
        .map(|d| d.name().map_err(err))
        .collect::<Result<Vec<_>, _>>()?;
    existing_names.sort();
    let bridges = host_bridges(conn)
        .unwrap_or_default()
        .into_iter()
        .filter(|b| !networks.iter().any(|n| &n.bridge == b))
        .collect();
    Ok(CreateOptions {
        uefi_available: uefi_available(conn, &arch, machine.as_deref(), &virt_type),
        pools,
        networks,
        bridges,
        host_cpus: node.cpus,
        host_memory_kib: node.memory,
        virt_type,
        arch,
        machine,
        existing_names,
    })
}

/// `(domain type, arch, machine)` for new guests from the capabilities XML.
pub fn pick_guest(caps: &Element) -> (String, String, Option<String>) {
    let host_arch = caps
        .child("host")
        .and_then(|h| h.child("cpu"))
        .map(|c| c.child_text("arch"))
        .unwrap_or_default();
    let hvm: Vec<&Element> = caps
        .children_named("guest")
        .filter(|g| g.child_text("os_type") == "hvm")
        .filter_map(|g| g.child("arch"))
        .collect();
    let arch_el = [host_arch.as_str(), "x86_64"]
        .iter()
        .find_map(|want| hvm.iter().find(|a| a.attr("name") == Some(want)))
        .or(hvm.first());
    let Some(arch_el) = arch_el else {
        return ("kvm".into(), host_arch, None);
    };
    let types: Vec<&str> = arch_el
        .children_named("domain")
        .filter_map(|d| d.attr("type"))
        .collect();
    let virt_type = ["kvm", "qemu", "test"]
        .iter()
        .find(|t| types.contains(t))
        .copied()
        .or(types.first().copied())
        .unwrap_or("qemu");
    let has_q35 = arch_el
        .children_named("machine")
        .chain(
            arch_el
                .children_named("domain")
                .flat_map(|d| d.children_named("machine")),
        )
        .any(|m| m.text.trim() == "q35");
    (
        virt_type.to_owned(),
        arch_el.attr("name").unwrap_or_default().to_owned(),
        has_q35.then(|| "q35".to_owned()),
    )
}

/// Whether libvirt can give a guest UEFI firmware: its domain capabilities list `efi`
/// among the firmware values (libvirt 5.2+), or an OVMF/edk2 loader.
pub fn uefi_available(conn: &Connect, arch: &str, machine: Option<&str>, virt_type: &str) -> bool {
    let Ok(xml) = conn.domain_capabilities(None, Some(arch), machine, Some(virt_type), 0) else {
        return false;
    };
    let Ok(root) = parse_tree(&xml) else {
        return false;
    };
    domcaps_offer_efi(&root)
}

pub fn domcaps_offer_efi(root: &Element) -> bool {
    let Some(os) = root
        .child("os")
        .filter(|o| o.attr("supported") == Some("yes"))
    else {
        return false;
    };
    let firmware_enum = os
        .children_named("enum")
        .filter(|e| e.attr("name") == Some("firmware"))
        .flat_map(|e| e.children_named("value"))
        .any(|v| v.text.trim() == "efi");
    let loader = os
        .child("loader")
        .filter(|l| l.attr("supported") == Some("yes"))
        .is_some_and(|l| {
            l.children_named("value").any(|v| {
                let t = v.text.to_ascii_lowercase();
                t.contains("ovmf") || t.contains("edk2")
            })
        });
    firmware_enum || loader
}

fn pool_option(pool: &StoragePool) -> Result<PoolOption, BackendError> {
    let name = pool.name().map_err(err)?;
    let active = pool.is_active().map_err(err)?;
    let info = pool.info().map_err(err)?;
    let xml = parse_tree(&pool.xml_desc(0).map_err(err)?)?;
    let mut volumes = Vec::new();
    if active {
        for vol in pool.list_all_volumes(0).map_err(err)? {
            let vxml = parse_tree(&vol.xml_desc(0).map_err(err)?)?;
            volumes.push(VolumeOption {
                name: vol.name().map_err(err)?,
                path: vol.path().unwrap_or_default(),
                capacity_bytes: vol.info().map(|i| i.capacity).unwrap_or(0),
                format: volume_format(&vxml),
            });
        }
        volumes.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(PoolOption {
        name,
        active,
        kind: xml.attr("type").unwrap_or_default().to_owned(),
        path: xml
            .child("target")
            .map(|t| t.child_text("path"))
            .unwrap_or_default(),
        capacity_bytes: info.capacity,
        available_bytes: if active { info.available } else { 0 },
        volumes,
    })
}

/// `<volume><target><format type='qcow2'/>` → "qcow2".
pub fn volume_format(vol: &Element) -> String {
    vol.child("target")
        .and_then(|t| t.child("format"))
        .and_then(|f| f.attr("type"))
        .unwrap_or_default()
        .to_owned()
}

fn networks(conn: &Connect) -> Result<Vec<NetworkOption>, BackendError> {
    let mut out = Vec::new();
    for net in conn.list_all_networks(0).map_err(err)? {
        let xml = parse_tree(&net.xml_desc(0).map_err(err)?)?;
        let mode = match xml.child("forward") {
            Some(f) => f.attr("mode").unwrap_or("nat").to_owned(),
            None => "isolated".to_owned(),
        };
        out.push(NetworkOption {
            name: net.name().map_err(err)?,
            active: net.is_active().map_err(err)?,
            mode,
            bridge: xml
                .child("bridge")
                .and_then(|b| b.attr("name"))
                .unwrap_or_default()
                .to_owned(),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Bridge devices on the host: libvirt's interface list (type "bridge"), else, for a
/// local connection whose driver has no interface support, `/sys/class/net/*/bridge`.
/// `None` when neither can tell.
pub fn host_bridges(conn: &Connect) -> Option<Vec<String>> {
    let mut names = match conn.list_all_interfaces(0) {
        Ok(ifaces) => ifaces
            .iter()
            .filter_map(|i| {
                let xml = parse_tree(&i.xml_desc(0).ok()?).ok()?;
                (xml.attr("type") == Some("bridge")).then(|| i.name().ok())?
            })
            .collect(),
        Err(e) if is_local(conn) => {
            log::debug!("interface listing unavailable ({e}); reading /sys/class/net");
            sys_bridges()?
        }
        Err(_) => return None,
    };
    names.sort();
    names.dedup();
    Some(names)
}

fn sys_bridges() -> Option<Vec<String>> {
    let dir = std::fs::read_dir("/sys/class/net").ok()?;
    Some(
        dir.flatten()
            .filter(|e| e.path().join("bridge").is_dir())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect(),
    )
}

/// Whether the connection's URI names no remote host, so paths the user picked on this
/// machine are the paths libvirt sees.
pub fn is_local(conn: &Connect) -> bool {
    conn.uri().map(|u| uri_is_local(&u)).unwrap_or(false)
}

pub fn uri_is_local(uri: &str) -> bool {
    match uri.split_once("://") {
        Some((scheme, rest)) => {
            let transport_local = !scheme.contains('+') || scheme.ends_with("+unix");
            transport_local && (rest.starts_with('/') || rest.is_empty())
        }
        None => Path::new(uri).is_absolute(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_uris() {
        assert!(uri_is_local("qemu:///system"));
        assert!(uri_is_local("qemu+unix:///session"));
        assert!(uri_is_local("test:///default"));
        assert!(!uri_is_local("qemu+ssh://root@host/system"));
        assert!(!uri_is_local("qemu://host/system"));
        assert!(!uri_is_local("qemu+tcp:///system"));
    }

    #[test]
    fn kvm_host_capabilities() {
        let caps = parse_tree(
            "<capabilities><host><cpu><arch>x86_64</arch></cpu></host>\
             <guest><os_type>hvm</os_type><arch name='i686'><domain type='qemu'/></arch></guest>\
             <guest><os_type>hvm</os_type><arch name='x86_64'>\
             <machine canonical='pc-i440fx-7.2'>pc</machine>\
             <machine canonical='pc-q35-7.2'>q35</machine>\
             <domain type='qemu'/><domain type='kvm'/></arch></guest></capabilities>",
        )
        .unwrap();
        assert_eq!(
            pick_guest(&caps),
            ("kvm".into(), "x86_64".into(), Some("q35".into()))
        );
    }

    #[test]
    fn efi_from_domain_capabilities() {
        let yes = parse_tree(
            "<domainCapabilities><os supported='yes'><enum name='firmware'>\
             <value>bios</value><value>efi</value></enum></os></domainCapabilities>",
        )
        .unwrap();
        assert!(domcaps_offer_efi(&yes));
        let no = parse_tree(
            "<domainCapabilities><os supported='yes'><enum name='firmware'/>\
             <loader supported='yes'><value>/usr/share/seabios/bios.bin</value></loader>\
             </os></domainCapabilities>",
        )
        .unwrap();
        assert!(!domcaps_offer_efi(&no));
    }
}
