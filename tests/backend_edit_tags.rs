//! Tags (`VmEdit::Tags`, `AddTag`, `RemoveTag`) on libvirt's test driver with
//! tests/fixtures/states.xml: stored in the domain's namespaced `<metadata>` (live and
//! saved configuration as the machine has them), other metadata kept, shown in `VmSummary`
//! and `VmDetails`, surviving a redefine of the XML; bad tags refused, nothing changed.

mod common;

use common::*;
use kvm_manager::backend::edit::apply_edit;
use kvm_manager::backend::tags::{self, KVMM_NS};
use kvm_manager::backend::{summary, xml, Applied, BootDevice, ErrorKind, VmEdit};
use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;

const WEB: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000001"; // running
const BUILD: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000003"; // shut off
const TRANSIENT: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000007";

const LIVE: u32 = sys::VIR_DOMAIN_AFFECT_LIVE;
const CONFIG: u32 = sys::VIR_DOMAIN_AFFECT_CONFIG;
const INACTIVE: u32 = sys::VIR_DOMAIN_XML_INACTIVE;

fn open() -> Connect {
    virt::error::clear_error_callback();
    Connect::open(Some(&states_uri())).unwrap()
}

fn dom(c: &Connect, uuid: &str) -> Domain {
    summary::lookup(c, uuid).unwrap()
}

fn tags_in(d: &Domain, xml_flags: u32) -> Vec<String> {
    xml::parse_domain(&d.xml_desc(xml_flags).unwrap())
        .unwrap()
        .tags
}

fn set(c: &Connect, uuid: &str, list: &[&str]) -> Applied {
    let edit = VmEdit::Tags(list.iter().map(|s| s.to_string()).collect());
    apply_edit(c, uuid, &edit).unwrap()
}

#[test]
fn tags_on_a_running_machine_go_live_and_into_its_configuration() {
    let c = open();
    assert_eq!(
        set(&c, WEB, &[" web ", "Prod", "WEB", "test lab"]),
        Applied::Now
    );
    let web = dom(&c, WEB);
    let want = ["web", "Prod", "test lab"];
    assert_eq!(tags_in(&web, 0), want);
    assert_eq!(tags_in(&web, INACTIVE), want);
    assert_eq!(summary::summary_of(&web).unwrap().tags, want);
    let row = summary::list_summaries(&c).unwrap();
    assert_eq!(by_name(&row, "web-uefi").tags, want);
    assert!(by_name(&row, "db-paused").tags.is_empty());

    // As libvirt stores it: our namespace and prefix, the libosinfo entry untouched.
    let x = web.xml_desc(0).unwrap();
    assert!(
        x.contains(&format!(r#"<kvmm:vm xmlns:kvmm="{KVMM_NS}">"#)),
        "{x}"
    );
    assert!(x.contains("<kvmm:tag>test lab</kvmm:tag>"), "{x}");
    let d = xml::parse_domain(&x).unwrap();
    assert_eq!(d.os_id.as_deref(), Some("http://debian.org/debian/12"));
    assert_eq!(d.tags, want);

    apply_edit(&c, WEB, &VmEdit::AddTag(" db ".into())).unwrap();
    apply_edit(&c, WEB, &VmEdit::AddTag("PROD".into())).unwrap(); // there already
    apply_edit(&c, WEB, &VmEdit::RemoveTag("prod".into())).unwrap();
    apply_edit(&c, WEB, &VmEdit::RemoveTag("absent".into())).unwrap();
    assert_eq!(tags_in(&web, 0), ["web", "test lab", "db"]);
    assert_eq!(tags_in(&web, INACTIVE), ["web", "test lab", "db"]);

    // No tags left: our element goes away entirely.
    assert_eq!(set(&c, WEB, &[]), Applied::Now);
    assert!(!web.xml_desc(0).unwrap().contains(KVMM_NS));
    assert!(!web.xml_desc(INACTIVE).unwrap().contains(KVMM_NS));
    assert!(summary::summary_of(&web).unwrap().tags.is_empty());
}

#[test]
fn shut_off_and_transient_machines() {
    let c = open();
    assert_eq!(set(&c, BUILD, &["ci"]), Applied::Now);
    assert_eq!(tags_in(&dom(&c, BUILD), INACTIVE), ["ci"]);
    assert_eq!(set(&c, TRANSIENT, &["batch"]), Applied::Now);
    let t = dom(&c, TRANSIENT);
    assert_eq!(tags_in(&t, 0), ["batch"]);
    assert_eq!(summary::summary_of(&t).unwrap().tags, ["batch"]);
}

#[test]
fn other_children_of_our_element_are_kept() {
    let c = open();
    let web = dom(&c, WEB);
    // What a later feature (template origin, notes) will keep next to the tags.
    let theirs = r#"<vm><origin template="debian-12"/><notes>keep &amp; me</notes></vm>"#;
    for flags in [LIVE, CONFIG] {
        web.set_metadata(
            sys::VIR_DOMAIN_METADATA_ELEMENT as i32,
            Some(theirs),
            Some("kvmm"),
            Some(KVMM_NS),
            flags,
        )
        .unwrap();
    }
    set(&c, WEB, &["a", "b"]);
    set(&c, WEB, &["c"]);
    for flags in [LIVE, CONFIG] {
        let vm = tags::read_vm_element(&web, flags).unwrap().unwrap();
        let root = xml::parse_tree(&vm).unwrap();
        assert_eq!(
            root.child("origin").unwrap().attr("template"),
            Some("debian-12")
        );
        assert_eq!(root.child_text("notes"), "keep & me");
        assert_eq!(tags::tags_in_vm_element(&vm).unwrap(), ["c"]);
    }
    // Removing every tag keeps them too.
    set(&c, WEB, &[]);
    let vm = tags::read_vm_element(&web, CONFIG).unwrap().unwrap();
    assert!(vm.contains("debian-12") && !vm.contains("tags"), "{vm}");
}

#[test]
fn tags_survive_a_redefine_and_a_boot_order_rewrite() {
    let c = open();
    set(&c, BUILD, &["ci", "nightly"]);
    let xml_before = dom(&c, BUILD)
        .xml_desc(INACTIVE | sys::VIR_DOMAIN_XML_SECURE)
        .unwrap();
    c.define_domain_xml(&xml_before).unwrap();
    assert_eq!(tags_in(&dom(&c, BUILD), INACTIVE), ["ci", "nightly"]);
    let order = VmEdit::BootOrder(vec![BootDevice::Disk("vda".into())]);
    apply_edit(&c, BUILD, &order).unwrap();
    let b = dom(&c, BUILD);
    assert_eq!(tags_in(&b, INACTIVE), ["ci", "nightly"]);
    assert_eq!(summary::summary_of(&b).unwrap().tags, ["ci", "nightly"]);
    // A rename keeps them as well (a machine without snapshots: build-off has one).
    let fresh = c
        .define_domain_xml(
            r#"<domain type="test"><name>fresh</name><memory unit="MiB">64</memory><os><type>hvm</type></os></domain>"#,
        )
        .unwrap()
        .uuid_string()
        .unwrap();
    set(&c, &fresh, &["ci"]);
    apply_edit(&c, &fresh, &VmEdit::Rename("fresh-b".into())).unwrap();
    assert_eq!(tags_in(&dom(&c, &fresh), INACTIVE), ["ci"]);
}

#[test]
fn bad_tags_are_refused_and_nothing_changes() {
    let c = open();
    set(&c, WEB, &["keep"]);
    let long = "x".repeat(33);
    for (bad, part) in [
        ("", "empty"),
        ("a,b", "comma"),
        ("new\nline", "control"),
        (long.as_str(), "32"),
    ] {
        let edit = VmEdit::Tags(vec!["fine".into(), bad.into()]);
        let e = apply_edit(&c, WEB, &edit).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{bad:?}");
        assert!(e.message.contains(part), "{bad:?}: {}", e.message);
        let e = apply_edit(&c, WEB, &VmEdit::AddTag(bad.into())).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{bad:?}");
    }
    let web = dom(&c, WEB);
    assert_eq!(tags_in(&web, 0), ["keep"]);
    assert_eq!(tags_in(&web, INACTIVE), ["keep"]);
}

#[test]
fn hand_edited_metadata_is_read_leniently() {
    let c = open();
    let web = dom(&c, WEB);
    let odd = "<vm><tags><tag> ok </tag><tag>OK</tag><tag>bad,one</tag><tag/></tags></vm>";
    web.set_metadata(
        sys::VIR_DOMAIN_METADATA_ELEMENT as i32,
        Some(odd),
        Some("kvmm"),
        Some(KVMM_NS),
        LIVE,
    )
    .unwrap();
    assert_eq!(summary::summary_of(&web).unwrap().tags, ["ok"]);
    assert_eq!(tags_in(&web, 0), ["ok"]);
    // Adding a tag writes back a clean list.
    apply_edit(&c, WEB, &VmEdit::AddTag("new".into())).unwrap();
    assert_eq!(tags_in(&web, 0), ["ok", "new"]);
}
