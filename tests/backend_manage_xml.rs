//! XML export, import and the XML editor's read/save for domains, networks and pools,
//! against libvirt's test driver (fixture tests/fixtures/manage.xml).

mod common;

use common::*;
use kvm_manager::backend::xml_define::{
    define_xml, domain_xml_for_export, import_domain_xml, read_xml, redefine_domain_xml, XmlKind,
};
use kvm_manager::backend::xml_edit::{apply, Edit, Path};
use kvm_manager::backend::{BackendError, ErrorKind};
use virt::connect::Connect;

const ALPHA: &str = "6a0c1a2e-0000-4000-8000-000000000001";

fn open() -> Connect {
    kvm_manager::backend::event_loop::ensure_started();
    Connect::open(Some(&test_uri(&fixture("manage.xml")))).unwrap()
}

fn edit(xml: &str, edits: &[Edit]) -> String {
    apply(xml, edits).unwrap().xml
}

fn p(s: &str) -> Path {
    Path::parse(s).unwrap()
}

fn invalid(e: BackendError, says: &str) {
    assert_eq!(e.kind, ErrorKind::InvalidInput, "{e:?}");
    assert!(e.message.contains(says), "expected “{says}” in {e:?}");
}

fn domain_count(conn: &Connect) -> usize {
    conn.list_all_domains(0).unwrap().len()
}

fn alpha_memory_kib(conn: &Connect) -> u64 {
    conn.lookup_domain_by_uuid_string(ALPHA)
        .unwrap()
        .info()
        .unwrap()
        .memory
}

#[test]
fn export_is_the_persistent_definition_without_secrets() {
    let conn = open();
    let xml = domain_xml_for_export(&conn, ALPHA).unwrap();
    assert!(xml.starts_with("<domain type='test'>"), "{xml}");
    assert!(xml.contains("<name>alpha</name>") && xml.contains(ALPHA));
    assert!(
        !xml.contains("alpha-vnc-secret"),
        "no VNC password in a file"
    );
    // The editor sees it: saving must not drop it.
    let edited = read_xml(&conn, &XmlKind::Domain { uuid: ALPHA.into() }).unwrap();
    assert!(edited.contains("alpha-vnc-secret"));
    let e = domain_xml_for_export(&conn, "6a0c1a2e-0000-4000-8000-0000000000ff").unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
}

#[test]
fn import_defines_a_new_machine() {
    let conn = open();
    let exported = domain_xml_for_export(&conn, ALPHA).unwrap();
    let doc = edit(
        &exported,
        &[
            Edit::set_text(p("/domain/name"), "imported"),
            Edit::remove(p("/domain/uuid")),
            Edit::remove(p("/domain/sysinfo")),
            Edit::remove(p("/domain/devices/interface/mac")),
        ],
    );
    let s = import_domain_xml(&conn, &doc).unwrap();
    assert_eq!(s.name, "imported");
    assert_ne!(s.uuid, ALPHA);
    assert!(s.persistent);
    // With its own UUID, a second import of the same file is a clash by name.
    invalid(
        import_domain_xml(&conn, &doc).unwrap_err(),
        "“imported” already exists",
    );
}

#[test]
fn import_refuses_clashes_and_bad_documents_without_touching_anything() {
    let conn = open();
    let before = (domain_count(&conn), alpha_memory_kib(&conn));
    let exported = domain_xml_for_export(&conn, ALPHA).unwrap();

    // The same file again: the name clashes.
    invalid(
        import_domain_xml(&conn, &exported).unwrap_err(),
        "“alpha” already exists",
    );
    // Renamed but with alpha's UUID: libvirt would silently replace alpha. Refused, and
    // the message names the machine that owns the UUID.
    let same_uuid = edit(
        &exported,
        &[
            Edit::set_text(p("/domain/name"), "alpha-twin"),
            Edit::set_text(p("/domain/memory"), "2048"),
        ],
    );
    let e = import_domain_xml(&conn, &same_uuid).unwrap_err();
    invalid(e.clone(), ALPHA);
    assert!(e.message.contains("“alpha”"), "{e:?}");
    // Upper-case UUIDs are the same UUID.
    let upper = same_uuid.replace(ALPHA, &ALPHA.to_ascii_uppercase());
    invalid(import_domain_xml(&conn, &upper).unwrap_err(), "“alpha”");
    // Without <uuid>, libvirt would take the SMBIOS one: the same clash.
    let smbios_only = edit(&same_uuid, &[Edit::remove(p("/domain/uuid"))]);
    invalid(
        import_domain_xml(&conn, &smbios_only).unwrap_err(),
        "“alpha”",
    );

    // Corrupt files: the position of the problem.
    let truncated = &exported[..exported.len() / 2];
    invalid(import_domain_xml(&conn, truncated).unwrap_err(), "Line ");
    let e = import_domain_xml(&conn, "<domain>\n  <name>x</nam>\n</domain>").unwrap_err();
    invalid(e, "Line 2, column 10");
    invalid(import_domain_xml(&conn, "").unwrap_err(), "Line 1");
    invalid(
        import_domain_xml(&conn, "\u{0}garbage").unwrap_err(),
        "Line 1",
    );
    // Well-formed but not a domain, or not a valid one.
    invalid(
        import_domain_xml(&conn, "<network><name>n</name></network>").unwrap_err(),
        "<network>",
    );
    invalid(
        import_domain_xml(&conn, "<domain type='test'><memory>1024</memory></domain>").unwrap_err(),
        "<name>",
    );
    let bogus = "<domain type='test'><name>bogus</name><memory>1024</memory>\
                 <os><type>hvm</type></os><bogus/></domain>";
    invalid(import_domain_xml(&conn, bogus).unwrap_err(), "bogus");

    assert_eq!((domain_count(&conn), alpha_memory_kib(&conn)), before);
}

#[test]
fn the_domain_editor_saves_changes_and_keeps_identity() {
    let conn = open();
    let kind = XmlKind::Domain { uuid: ALPHA.into() };
    let xml = read_xml(&conn, &kind).unwrap();
    let bigger = edit(
        &xml,
        &[
            Edit::set_text(p("/domain/memory"), "2"),
            Edit::set_attr(p("/domain/memory"), "unit", "GiB"),
            Edit::remove(p("/domain/currentMemory")),
        ],
    );
    let s = redefine_domain_xml(&conn, ALPHA, &bigger).unwrap();
    assert_eq!((s.name.as_str(), s.memory_kib), ("alpha", 2 << 20));
    define_xml(&conn, &kind, &xml).unwrap();
    assert_eq!(alpha_memory_kib(&conn), 1 << 20);

    let count = domain_count(&conn);
    let other_uuid = xml.replace(ALPHA, "6a0c1a2e-0000-4000-8000-0000000000ee");
    invalid(
        redefine_domain_xml(&conn, ALPHA, &other_uuid).unwrap_err(),
        "must stay",
    );
    let no_uuid = edit(&xml, &[Edit::remove(p("/domain/uuid"))]);
    invalid(define_xml(&conn, &kind, &no_uuid).unwrap_err(), "<uuid>");
    let renamed = edit(&xml, &[Edit::set_text(p("/domain/name"), "alpha2")]);
    invalid(define_xml(&conn, &kind, &renamed).unwrap_err(), "“alpha”");
    invalid(
        define_xml(&conn, &kind, "<domain>\n<name>alpha</name>\n<uuid>").unwrap_err(),
        "Line ",
    );
    // libvirt's own validation: its message, for the editor to show.
    let bogus = edit(
        &xml,
        &[Edit::append(
            p("/domain/devices"),
            kvm_manager::backend::xml_edit::Node::new("bogus"),
        )],
    );
    invalid(define_xml(&conn, &kind, &bogus).unwrap_err(), "schema");
    let bad_value = edit(&xml, &[Edit::set_text(p("/domain/memory"), "lots")]);
    invalid(define_xml(&conn, &kind, &bad_value).unwrap_err(), "");
    assert_eq!(domain_count(&conn), count);
    assert_eq!(alpha_memory_kib(&conn), 1 << 20);
}

#[test]
fn the_network_editor_saves_changes_and_refuses_a_second_network() {
    let conn = open();
    let kind = XmlKind::Network {
        name: "default".into(),
    };
    let xml = read_xml(&conn, &kind).unwrap();
    assert!(xml.contains("<name>default</name>"), "{xml}");
    // Stopped, so its definition is what it shows (a running network's takes effect later).
    conn.lookup_network_by_name("default")
        .unwrap()
        .destroy()
        .unwrap();
    let changed = edit(
        &xml,
        &[Edit::set_attr(p("/network/bridge"), "name", "virbr9")],
    );
    define_xml(&conn, &kind, &changed).unwrap();
    assert!(read_xml(&conn, &kind).unwrap().contains("virbr9"));

    let renamed = edit(&xml, &[Edit::set_text(p("/network/name"), "default2")]);
    invalid(
        define_xml(&conn, &kind, &renamed).unwrap_err(),
        "“default2”",
    );
    let no_uuid = edit(&xml, &[Edit::remove(p("/network/uuid"))]);
    invalid(define_xml(&conn, &kind, &no_uuid).unwrap_err(), "<uuid>");
    invalid(
        define_xml(&conn, &kind, "<network><name>default</name>").unwrap_err(),
        "Line 1",
    );
    invalid(define_xml(&conn, &kind, "<pool/>").unwrap_err(), "<pool>");
    let bogus = edit(
        &xml,
        &[Edit::append(
            p("/network"),
            kvm_manager::backend::xml_edit::Node::new("bogus"),
        )],
    );
    invalid(define_xml(&conn, &kind, &bogus).unwrap_err(), "bogus");
    assert_eq!(conn.list_all_networks(0).unwrap().len(), 1);
    let e = read_xml(
        &conn,
        &XmlKind::Network {
            name: "nope".into(),
        },
    )
    .unwrap_err();
    assert!(!e.message.is_empty());
}

#[test]
fn the_pool_editor_saves_changes_and_refuses_a_second_pool() {
    let conn = open();
    let kind = XmlKind::Pool {
        name: "data".into(),
    };
    let xml = read_xml(&conn, &kind).unwrap();
    assert!(xml.contains("<name>data</name>"), "{xml}");
    // Stopped, so its definition is what it shows (a running pool's takes effect later).
    let pool = conn.lookup_storage_pool_by_name("data").unwrap();
    pool.destroy().unwrap();
    let changed = edit(
        &xml,
        &[Edit::set_text(p("/pool/target/path"), "/srv/data2")],
    );
    define_xml(&conn, &kind, &changed).unwrap();
    assert!(read_xml(&conn, &kind).unwrap().contains("/srv/data2"));

    let renamed = edit(&xml, &[Edit::set_text(p("/pool/name"), "data2")]);
    invalid(define_xml(&conn, &kind, &renamed).unwrap_err(), "“data2”");
    let other_uuid = xml.replace(
        "6a0c1a2e-0000-4000-8000-0000000000b2",
        "6a0c1a2e-0000-4000-8000-0000000000bb",
    );
    invalid(
        define_xml(&conn, &kind, &other_uuid).unwrap_err(),
        "must stay",
    );
    invalid(
        define_xml(&conn, &kind, "<pool type='dir'><name>data</name></poo>").unwrap_err(),
        "Line 1",
    );
    assert_eq!(conn.list_all_storage_pools(0).unwrap().len(), 2);
}
