use super::*;

fn p(s: &str) -> Path {
    Path::parse(s).unwrap()
}

const DOMAIN: &str = r#"<?xml version="1.0"?>
<!-- kept -->
<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>web</name>
  <uuid>5f0b2a7e-1c1d-4c59-9a3e-000000000001</uuid>
  <metadata>
    <k:tags xmlns:k="https://kvmm.example/tags"><k:tag>a &amp; b</k:tag></k:tags>
    <name>other app's, in no namespace, but deeper</name>
  </metadata>
  <os>
    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>
    <nvram template='/usr/share/OVMF/OVMF_VARS.fd'>/var/lib/libvirt/qemu/nvram/web_VARS.fd</nvram>
  </os>
  <sysinfo type='smbios'>
    <system>
      <entry name='serial'>s1</entry>
      <entry name='uuid'>5f0b2a7e-1c1d-4c59-9a3e-000000000001</entry>
    </system>
  </sysinfo>
  <devices>
    <disk type='file' device='disk'>
      <source file='/img/web.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='volume' device='disk'>
      <source pool='data' volume='web-data.raw'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:10:00:01'/>
      <source network='default'/>
    </interface>
    <interface type='network'>
      <mac address='52:54:00:10:00:02'/>
      <source network="isolated"/>
    </interface>
  </devices>
  <qemu:commandline><qemu:arg value='-S'/></qemu:commandline>
</domain>
"#;

#[test]
fn no_edits_is_byte_for_byte() {
    let out = apply(DOMAIN, &[]).unwrap();
    assert_eq!(out.xml, DOMAIN);
    assert!(out.hits.is_empty());
}

#[test]
fn clone_style_rewrite() {
    let out = apply(
        DOMAIN,
        &[
            Edit::set_text(p("/domain/name"), "web-clone <2>"),
            Edit::remove(p("/domain/uuid")),
            Edit::remove(p("/domain/devices/interface/mac")),
            Edit::remove(p("/domain/sysinfo/system/entry[@name='uuid']")),
            Edit::set_text(p("/domain/os/nvram"), ""),
            Edit::set_attr(
                p("/domain/devices/disk[1]/source"),
                "file",
                "/img/a&b.qcow2",
            ),
            Edit::set_attr(p("/domain/devices/disk[2]/source"), "volume", "clone.raw"),
        ],
    )
    .unwrap();
    assert_eq!(out.hits, [1, 1, 2, 1, 1, 1, 1]);
    let x = &out.xml;
    assert!(x.contains("<name>web-clone &lt;2&gt;</name>"), "{x}");
    assert!(!x.contains("<uuid>") && !x.contains("52:54:00"), "{x}");
    assert!(!x.contains("'uuid'") && x.contains("<entry name='serial'>s1</entry>"));
    assert!(x.contains("<nvram template=\"/usr/share/OVMF/OVMF_VARS.fd\"></nvram>"));
    assert!(x.contains("<source file=\"/img/a&amp;b.qcow2\"/>"), "{x}");
    assert!(
        x.contains("<source pool=\"data\" volume=\"clone.raw\"/>"),
        "{x}"
    );
    // Untouched parts keep their bytes: declaration, comment, prefixes, namespaces.
    assert!(x.starts_with("<?xml version=\"1.0\"?>\n<!-- kept -->\n<domain type='kvm' xmlns:qemu="));
    assert!(x.contains(
        r#"<k:tags xmlns:k="https://kvmm.example/tags"><k:tag>a &amp; b</k:tag></k:tags>"#
    ));
    assert!(x.contains("<qemu:commandline><qemu:arg value='-S'/></qemu:commandline>"));
    assert!(x.contains("<name>other app's, in no namespace, but deeper</name>"));
    // Removed elements take their indentation with them.
    assert!(
        x.contains("<interface type='network'>\n      <source network='default'/>"),
        "{x}"
    );
    assert!(
        x.contains("<name>web-clone &lt;2&gt;</name>\n  <metadata>"),
        "{x}"
    );
    // The result is well-formed and parses to what was asked.
    let tree = crate::backend::xml::parse_tree(x).unwrap();
    assert_eq!(tree.child_text("name"), "web-clone <2>");
    assert_eq!(crate::backend::xml_check::first_problem(x), None);
}

#[test]
fn positions_and_attribute_predicates() {
    let out = apply(
        DOMAIN,
        &[
            Edit::remove(p("/domain/devices/interface[2]")),
            Edit::set_attr(p("/domain/devices/disk/target[@dev='vdb']"), "bus", "scsi"),
            Edit::remove_attr(p("/domain/devices/disk[1]/target"), "bus"),
            Edit::remove(p("/domain/devices/disk[3]")),
        ],
    )
    .unwrap();
    assert_eq!(out.hits, [1, 1, 1, 0]);
    assert!(!out.xml.contains("isolated"));
    assert!(out.xml.contains("<target dev=\"vdb\" bus=\"scsi\"/>"));
    assert!(out.xml.contains("<target dev=\"vda\"/>"));
}

#[test]
fn namespaced_steps_match_by_uri_not_prefix() {
    let ns = "https://kvmm.example/tags";
    let out = apply(
        DOMAIN,
        &[
            Edit::append(
                p(&format!("/domain/metadata/{{{ns}}}tags")),
                Node::new("k:tag").text("new"),
            ),
            // In no namespace: does not match the prefixed element.
            Edit::remove(p("/domain/metadata/tags")),
            Edit::set_attr(
                p("/domain/{http://libvirt.org/schemas/domain/qemu/1.0}commandline/{http://libvirt.org/schemas/domain/qemu/1.0}arg"),
                "value",
                "-s",
            ),
        ],
    )
    .unwrap();
    assert_eq!(out.hits, [1, 0, 1]);
    assert!(out
        .xml
        .contains("<k:tag>a &amp; b</k:tag><k:tag>new</k:tag></k:tags>"));
    assert!(out.xml.contains("<qemu:arg value=\"-s\"/>"));
}

#[test]
fn append_to_empty_and_open_elements() {
    let xml = "<domain><os><type>hvm</type></os><devices/></domain>";
    let out = apply(
        xml,
        &[
            Edit::append(
                p("/domain/devices"),
                Node::new("disk")
                    .attr("type", "file")
                    .child(Node::new("source").attr("file", "/a'b\""))
                    .child(Node::new("boot").attr("order", "1")),
            ),
            Edit::append(p("/domain/os"), Node::new("boot").attr("dev", "hd")),
        ],
    )
    .unwrap();
    assert_eq!(
        out.xml,
        "<domain><os><type>hvm</type><boot dev=\"hd\"/></os><devices><disk type=\"file\">\
         <source file=\"/a&apos;b&quot;\"/><boot order=\"1\"/></disk></devices></domain>"
    );
}

#[test]
fn set_text_replaces_children_and_fills_empty() {
    let xml = "<a><b>x<c/>y</b><d/></a>";
    let out = apply(
        xml,
        &[
            Edit::set_text(p("/a/b"), "1"),
            Edit::set_text(p("/a/d"), "2"),
        ],
    )
    .unwrap();
    assert_eq!(out.xml, "<a><b>1</b><d>2</d></a>");
}

#[test]
fn removing_the_whole_subtree_and_nested_matches() {
    let xml = "<a><b><b><c/></b></b><c/></a>";
    let out = apply(xml, &[Edit::remove(p("/a/b")), Edit::remove(p("/a/b/b/c"))]).unwrap();
    assert_eq!(out.xml, "<a><c/></a>");
    assert_eq!(
        out.hits,
        [1, 0],
        "nothing inside a removed element is edited"
    );
}

#[test]
fn malformed_input_names_the_position() {
    let e = apply("<a>\n <b></c></a>", &[]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert!(e.message.starts_with("Line 2, column "), "{e:?}");
    let e = apply("<a x='1' x='2'/>", &[Edit::remove(p("/a/b"))]).unwrap_err();
    assert!(e.message.starts_with("Line 1, column 1:"), "{e:?}");
}

#[test]
fn paths_parse_and_print() {
    let text = "/domain/{urn:x/y}m[2][@k='v'][@q=\"it's\"]/e";
    let path = p(text);
    assert_eq!(path.steps.len(), 3);
    assert_eq!(path.steps[1].ns.as_deref(), Some("urn:x/y"));
    assert_eq!(path.steps[1].index, Some(2));
    assert_eq!(path.steps[1].attrs[1], ("q".into(), "it's".into()));
    assert_eq!(path.to_string(), text);
    assert_eq!(p("a/b"), Path::root("a").child("b"));
    assert_eq!(
        p("/d/disk[3][@device='cdrom']"),
        Path::root("d")
            .child("disk")
            .nth(3)
            .with_attr("device", "cdrom")
    );
    for bad in [
        "", "/", "a//b", "a[0]", "a[x]", "a[@k]", "a[@k=v]", "a[@k='v'", "{u", "a b",
    ] {
        assert!(Path::parse(bad).is_err(), "{bad}");
    }
}
