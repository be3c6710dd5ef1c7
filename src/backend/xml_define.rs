//! XML of domains, networks and pools as a person edits it: export, import, and the XML
//! editor's read and save.
//!
//! Every document from the user is first checked locally ([`check_well_formed`]: a typo
//! is reported with line and column), then its identity: an import must not reuse the
//! name or UUID of a machine on the host (libvirt's define with an existing UUID would
//! silently replace that machine); an edit must keep the object's name and UUID (a
//! changed name would silently define a second network or pool). Then libvirt defines it,
//! validating against its schema where the driver can (`*_DEFINE_VALIDATE`); its message
//! is returned as an `InvalidInput` error so the editor can show it inline.
//!
//! Reading and writing local files is the UI's job; this module only sees strings.

use std::ffi::CString;

use gettextrs::gettext;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::error::ErrorNumber;
use virt::network::Network;
use virt::sys;

use super::error::{BackendError, ErrorKind};
use super::summary::{lookup, summary_of};
use super::types::VmSummary;
use super::xml::{parse_tree, Element};
use super::xml_check::check_well_formed;
use crate::i18n::gettext_f;

/// Which object's XML.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum XmlKind {
    Domain { uuid: String },
    Network { name: String },
    Pool { name: String },
}

fn err(e: virt::error::Error) -> BackendError {
    BackendError::from_virt(&e)
}

fn invalid(msg: String) -> BackendError {
    BackendError::new(ErrorKind::InvalidInput, msg)
}

/// A libvirt error from a define: what the user wrote is wrong (schema, values, a name
/// taken) is `InvalidInput` with libvirt's message; anything else keeps its kind.
fn define_err(e: &virt::error::Error) -> BackendError {
    use ErrorNumber as N;
    let user_fixable = [
        N::XmlError,
        N::XmlDetail,
        N::XmlInvalidSchema,
        N::ConfigUnsupported,
        N::InvalidArg,
        N::OperationFailed,
        N::DomExist,
        N::NetworkExist,
    ];
    let b = BackendError::from_virt(e);
    if user_fixable.iter().any(|c| e.code().is(*c)) {
        return invalid(b.message);
    }
    b
}

fn flags_unsupported(e: &virt::error::Error) -> bool {
    let code = e.code();
    code.is(ErrorNumber::NoSupport)
        || (code.is(ErrorNumber::InvalidArg) && e.message().contains("unsupported flags"))
}

/// Define (or redefine) a domain, validated against libvirt's schema where supported.
pub fn define_domain(conn: &Connect, xml: &str) -> Result<Domain, BackendError> {
    match conn.define_domain_xml_flags(xml, sys::VIR_DOMAIN_DEFINE_VALIDATE) {
        Ok(d) => Ok(d),
        Err(e) if flags_unsupported(&e) => conn.define_domain_xml(xml).map_err(|e| define_err(&e)),
        Err(e) => Err(define_err(&e)),
    }
}

fn define_network(conn: &Connect, xml: &str) -> Result<Network, BackendError> {
    let c_xml = CString::new(xml).map_err(|_| invalid(gettext("The XML contains a NUL byte")))?;
    // SAFETY: valid connection and NUL-terminated string for the duration of the call;
    // on success libvirt returns a new reference that `Network` takes over.
    let ptr = unsafe {
        sys::virNetworkDefineXMLFlags(
            conn.as_ptr(),
            c_xml.as_ptr(),
            sys::VIR_NETWORK_DEFINE_VALIDATE,
        )
    };
    if !ptr.is_null() {
        // SAFETY: a non-null pointer from a successful define.
        return Ok(unsafe { Network::from_ptr(ptr) });
    }
    let e = virt::error::Error::last_error();
    if flags_unsupported(&e) {
        return conn.define_network_xml(xml).map_err(|e| define_err(&e));
    }
    Err(define_err(&e))
}

fn define_pool(conn: &Connect, xml: &str) -> Result<(), BackendError> {
    match conn.define_storage_pool_xml(xml, sys::VIR_STORAGE_POOL_DEFINE_VALIDATE) {
        Ok(_) => Ok(()),
        Err(e) if flags_unsupported(&e) => conn
            .define_storage_pool_xml(xml, 0)
            .map(drop)
            .map_err(|e| define_err(&e)),
        Err(e) => Err(define_err(&e)),
    }
}

/// Parse a user document whose root must be `<root>`.
fn parse_user_xml(xml: &str, root: &str) -> Result<Element, BackendError> {
    check_well_formed(xml)?;
    let tree = parse_tree(xml).map_err(|e| invalid(e.message))?;
    if tree.name != root || tree.ns.is_some() {
        return Err(invalid(gettext_f(
            "This is not {kind} XML: the document starts with <{found}> instead of <{kind}>",
            &[("kind", root), ("found", &tree.name)],
        )));
    }
    Ok(tree)
}

/// The domain's persistent XML for a file: no secrets (VNC/SPICE passwords stay out).
pub fn domain_xml_for_export(conn: &Connect, uuid: &str) -> Result<String, BackendError> {
    let dom = lookup(conn, uuid)?;
    dom.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE).map_err(err)
}

/// Define a new machine from a document (an imported file). Refuses malformed XML (with
/// line and column), a document that is not a domain, and a name or UUID that a machine
/// on the host already has.
pub fn import_domain_xml(conn: &Connect, xml: &str) -> Result<VmSummary, BackendError> {
    let tree = parse_user_xml(xml, "domain")?;
    let name = tree.child_text("name");
    if name.is_empty() {
        return Err(invalid(gettext(
            "The document has no <name>: a machine needs one",
        )));
    }
    match conn.lookup_domain_by_name(&name) {
        Ok(_) => {
            return Err(invalid(gettext_f(
                "A machine called “{name}” already exists on this host. Change the <name> in the file, or rename that machine first.",
                &[("name", &name)],
            )))
        }
        Err(e) if e.code().is(ErrorNumber::NoDomain) => {}
        Err(e) => return Err(err(e)),
    }
    // Without <uuid>, libvirt takes the SMBIOS system UUID when there is one.
    let mut uuid = tree.child_text("uuid");
    if uuid.is_empty() {
        uuid = smbios_uuid(&tree).unwrap_or_default();
    }
    if !uuid.is_empty() {
        match conn.lookup_domain_by_uuid_string(&uuid) {
            Ok(existing) => {
                let other = existing.name().unwrap_or_default();
                return Err(invalid(gettext_f(
                    "The UUID {uuid} belongs to “{other}” on this host; importing would replace that machine. Remove the <uuid> line to import it as a new machine.",
                    &[("uuid", &uuid), ("other", &other)],
                )));
            }
            Err(e) if e.code().is(ErrorNumber::NoDomain) => {}
            Err(e) => {
                return Err(invalid(gettext_f(
                    "The UUID “{uuid}” cannot be checked: {error}",
                    &[("uuid", &uuid), ("error", e.message())],
                )))
            }
        }
    }
    summary_of(&define_domain(conn, xml)?)
}

/// `<sysinfo type='smbios'><system><entry name='uuid'>`.
fn smbios_uuid(domain: &Element) -> Option<String> {
    domain
        .children_named("sysinfo")
        .flat_map(|s| s.children_named("system"))
        .flat_map(|s| s.children_named("entry"))
        .find(|e| e.attr("name") == Some("uuid"))
        .map(|e| e.text.trim().to_owned())
        .filter(|u| !u.is_empty())
}

/// Read the XML the editor shows: the persistent definition, with secrets (they must
/// survive a save) for domains.
pub fn read_xml(conn: &Connect, kind: &XmlKind) -> Result<String, BackendError> {
    match kind {
        XmlKind::Domain { uuid } => lookup(conn, uuid)?
            .xml_desc(sys::VIR_DOMAIN_XML_INACTIVE | sys::VIR_DOMAIN_XML_SECURE)
            .map_err(err),
        XmlKind::Network { name } => {
            let net = conn.lookup_network_by_name(name).map_err(err)?;
            match net.xml_desc(sys::VIR_NETWORK_XML_INACTIVE) {
                Ok(x) => Ok(x),
                // The test driver knows no flags here.
                Err(e) if flags_unsupported(&e) => net.xml_desc(0).map_err(err),
                Err(e) => Err(err(e)),
            }
        }
        XmlKind::Pool { name } => {
            let pool = conn.lookup_storage_pool_by_name(name).map_err(err)?;
            match pool.xml_desc(sys::VIR_STORAGE_XML_INACTIVE) {
                Ok(x) => Ok(x),
                // The test driver knows no flags here.
                Err(e) if flags_unsupported(&e) => pool.xml_desc(0).map_err(err),
                Err(e) => Err(err(e)),
            }
        }
    }
}

/// The edited document must name the same object: same name and UUID. libvirt keys
/// objects by UUID: a changed name would define a second object (or be refused), and a
/// missing UUID means "a new object" to libvirt.
fn check_identity(tree: &Element, name: &str, uuid: &str) -> Result<(), BackendError> {
    let new_name = tree.child_text("name");
    if new_name != name {
        return Err(invalid(gettext_f(
            "The name must stay “{name}” (the document says “{new}”): saving would define another one instead of changing this one",
            &[("name", name), ("new", &new_name)],
        )));
    }
    let new_uuid = tree.child_text("uuid");
    if new_uuid.is_empty() {
        return Err(invalid(gettext_f(
            "The <uuid> must stay {uuid}: without it, saving would define another one",
            &[("uuid", uuid)],
        )));
    }
    if !new_uuid.is_empty() && !new_uuid.eq_ignore_ascii_case(uuid) {
        return Err(invalid(gettext_f(
            "The <uuid> must stay {uuid} (the document says {new})",
            &[("uuid", uuid), ("new", &new_uuid)],
        )));
    }
    Ok(())
}

/// Save the editor's domain XML over the machine with `uuid` (same name and UUID).
pub fn redefine_domain_xml(
    conn: &Connect,
    uuid: &str,
    xml: &str,
) -> Result<VmSummary, BackendError> {
    let dom = lookup(conn, uuid)?;
    let name = dom.name().map_err(err)?;
    let tree = parse_user_xml(xml, "domain")?;
    check_identity(&tree, &name, uuid)?;
    summary_of(&define_domain(conn, xml)?)
}

/// Save the editor's XML for `kind` (domain, network or pool).
pub fn define_xml(conn: &Connect, kind: &XmlKind, xml: &str) -> Result<(), BackendError> {
    match kind {
        XmlKind::Domain { uuid } => redefine_domain_xml(conn, uuid, xml).map(drop),
        XmlKind::Network { name } => {
            let net = conn.lookup_network_by_name(name).map_err(err)?;
            let uuid = net.uuid_string().map_err(err)?;
            let tree = parse_user_xml(xml, "network")?;
            check_identity(&tree, name, &uuid)?;
            define_network(conn, xml).map(drop)
        }
        XmlKind::Pool { name } => {
            let pool = conn.lookup_storage_pool_by_name(name).map_err(err)?;
            let uuid = pool.uuid_string().map_err(err)?;
            let tree = parse_user_xml(xml, "pool")?;
            check_identity(&tree, name, &uuid)?;
            define_pool(conn, xml)
        }
    }
}
