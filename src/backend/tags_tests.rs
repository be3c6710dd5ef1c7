use super::*;

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|t| t.to_string()).collect()
}

#[test]
fn normalizes_trims_and_dedupes_ignoring_case() {
    let got = normalize_tags(&[" web ", "Prod", "WEB", "prod", "test lab", "ünï"]).unwrap();
    assert_eq!(got, s(&["web", "Prod", "test lab", "ünï"]));
    assert_eq!(normalize_tags::<&str>(&[]).unwrap(), Vec::<String>::new());
    assert!(normalize_tags(&["x".repeat(32)]).is_ok());
}

#[test]
fn refuses_bad_tags_with_the_tag_quoted() {
    for (bad, part) in [
        ("", "empty"),
        ("   ", "empty"),
        ("a,b", "comma"),
        ("tab\tin", "control"),
        ("nl\nin", "control"),
        (&"x".repeat(33) as &str, "32"),
    ] {
        let e = normalize_tags(&["ok", bad]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{bad:?}");
        assert!(e.message.contains(part), "{bad:?}: {}", e.message);
        assert!(e.message.starts_with('“'), "{}", e.message);
        assert!(!e.hint.is_empty());
    }
}

#[test]
fn new_element_holds_only_tags() {
    let xml = vm_element_with_tags(None, &s(&["a & b", "<x>"]))
        .unwrap()
        .unwrap();
    assert_eq!(
        xml,
        "<vm><tags><tag>a &amp; b</tag><tag>&lt;x&gt;</tag></tags></vm>"
    );
    assert_eq!(tags_in_vm_element(&xml).unwrap(), s(&["a & b", "<x>"]));
    assert_eq!(vm_element_with_tags(None, &[]).unwrap(), None);
}

#[test]
fn replacing_tags_keeps_every_other_child_in_place() {
    let old = r#"<vm xmlns:kvmm="https://github.com/kvmmanager/xmlns/vm/1.0" a="1">
  <origin template="t1"/>
  <tags>
    <tag>old</tag>
  </tags>
  <notes>hi &amp; bye</notes>
  <x:foo xmlns:x="urn:x"><x:bar/></x:foo>
  <!-- c -->
</vm>"#;
    let new = vm_element_with_tags(Some(old), &s(&["new"]))
        .unwrap()
        .unwrap();
    assert_eq!(
        new,
        r#"<vm a="1">
  <origin template="t1"/>
  <tags><tag>new</tag></tags>
  <notes>hi &amp; bye</notes>
  <x:foo xmlns:x="urn:x"><x:bar/></x:foo>
  <!-- c -->
</vm>"#
    );
    // Removing every tag keeps the other children.
    let none = vm_element_with_tags(Some(old), &[]).unwrap().unwrap();
    assert!(!none.contains("tags") && none.contains("<notes>"), "{none}");
}

#[test]
fn tags_are_added_where_there_were_none() {
    let got = vm_element_with_tags(Some("<vm><notes>n</notes></vm>"), &s(&["a"]))
        .unwrap()
        .unwrap();
    assert_eq!(got, "<vm><notes>n</notes><tags><tag>a</tag></tags></vm>");
    let got = vm_element_with_tags(Some("<vm/>"), &s(&["a"]))
        .unwrap()
        .unwrap();
    assert_eq!(got, "<vm><tags><tag>a</tag></tags></vm>");
    // Nothing else there and no tags left: the element goes.
    assert_eq!(
        vm_element_with_tags(Some("<vm><tags><tag>a</tag></tags></vm>"), &[]).unwrap(),
        None
    );
}

#[test]
fn reads_tags_from_domain_xml_under_any_prefix() {
    let xml = r#"<domain type="kvm"><name>x</name><metadata>
      <other:vm xmlns:other="urn:not-ours"><other:tags><other:tag>no</other:tag></other:tags></other:vm>
      <k:vm xmlns:k="https://github.com/kvmmanager/xmlns/vm/1.0">
        <k:tags><k:tag> db </k:tag><k:tag>DB</k:tag><k:tag>bad,tag</k:tag><k:tag>web</k:tag></k:tags>
      </k:vm></metadata></domain>"#;
    let root = crate::backend::xml::parse_tree(xml).unwrap();
    assert_eq!(tags_in_domain(&root), s(&["db", "web"]));
    let bare = crate::backend::xml::parse_tree("<domain><name>x</name></domain>").unwrap();
    assert!(tags_in_domain(&bare).is_empty());
}
