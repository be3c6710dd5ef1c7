//! Templates in a real SQLite file: CRUD, constraints, export and import with bad files.

use kvm_manager::backend::{NicInfo, VmDetails};
use kvm_manager::services::templates::{Template, TemplateFirmware, TemplateNetwork};
use kvm_manager::services::{Database, StoreError};

fn web() -> Template {
    Template {
        id: None,
        name: "Web server".into(),
        description: "nginx on Debian".into(),
        os_id: Some("http://debian.org/debian/12".into()),
        vcpus: 2,
        memory_kib: 2 * 1024 * 1024,
        disk_bytes: Some(20 << 30),
        network: TemplateNetwork::Network("default".into()),
        firmware: TemplateFirmware::Uefi,
        created_at: 0,
        updated_at: 0,
    }
}

fn db() -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(&dir.path().join("kvm-manager.db")).unwrap();
    (dir, db)
}

#[test]
fn add_list_update_delete() {
    let (dir, db) = db();
    let stored = db.add_template(&web()).unwrap();
    let id = stored.id.expect("an id");
    assert!(stored.created_at > 0);
    assert_eq!(
        Template {
            id: None,
            created_at: 0,
            updated_at: 0,
            ..stored.clone()
        },
        web()
    );

    let mut changed = stored.clone();
    changed.vcpus = 4;
    changed.network = TemplateNetwork::Bridge("br0".into());
    changed.disk_bytes = None;
    db.update_template(&changed).unwrap();

    // What is stored survives closing and reopening the file.
    drop(db);
    let db = Database::open(&dir.path().join("kvm-manager.db")).unwrap();
    let all = db.templates().unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].vcpus, 4);
    assert_eq!(all[0].network, TemplateNetwork::Bridge("br0".into()));
    assert_eq!(all[0].disk_bytes, None);

    db.delete_template(id).unwrap();
    assert!(db.templates().unwrap().is_empty());
    assert!(matches!(
        db.delete_template(id),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        db.update_template(&changed),
        Err(StoreError::NotFound(_))
    ));
}

#[test]
fn names_are_unique_ignoring_case() {
    let (_dir, db) = db();
    db.add_template(&web()).unwrap();
    let mut again = web();
    again.name = "web SERVER".into();
    let err = db.add_template(&again).unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert!(err.to_string().contains("web SERVER"), "{err}");
    assert_eq!(db.templates().unwrap().len(), 1);

    // Renaming another template onto an existing name is refused too.
    let mut other = web();
    other.name = "Database".into();
    let mut other = db.add_template(&other).unwrap();
    other.name = "Web server".into();
    assert!(matches!(
        db.update_template(&other),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(db.template(other.id.unwrap()).unwrap().name, "Database");
}

#[test]
fn invalid_templates_are_refused_with_a_reason() {
    let (_dir, db) = db();
    let cases: Vec<(Template, &str)> = vec![
        (
            Template {
                name: "  ".into(),
                ..web()
            },
            "name",
        ),
        (Template { vcpus: 0, ..web() }, "virtual CPUs"),
        (
            Template {
                memory_kib: 0,
                ..web()
            },
            "memory",
        ),
        (
            Template {
                disk_bytes: Some(0),
                ..web()
            },
            "disk",
        ),
        (
            Template {
                network: TemplateNetwork::Network(String::new()),
                ..web()
            },
            "network",
        ),
    ];
    for (t, word) in cases {
        let err = db.add_template(&t).unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
        assert!(
            err.to_string().contains(word),
            "{err} should mention {word}"
        );
    }
    assert!(db.templates().unwrap().is_empty(), "nothing stored");
}

#[test]
fn export_then_import_elsewhere_renames_clashes() {
    let (dir, db) = db();
    let a = db.add_template(&web()).unwrap();
    let b = db
        .add_template(&Template {
            name: "Desktop".into(),
            network: TemplateNetwork::None,
            ..web()
        })
        .unwrap();
    let file = dir.path().join("templates.json");
    db.export_templates(&[a, b], &file).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("\"format\": \"kvm-manager-templates\""),
        "{text}"
    );
    assert!(!text.contains("\"id\""), "row ids are local: {text}");

    // Into the same database: both names clash and get a number.
    let report = db.import_templates(&file).unwrap();
    assert!(report.added.is_empty());
    assert_eq!(
        report.renamed,
        vec![
            ("Web server".to_string(), "Web server 2".to_string()),
            ("Desktop".to_string(), "Desktop 2".to_string())
        ]
    );
    // Into a fresh database: added as they are, with their fields.
    let (_d2, fresh) = self::db();
    let report = fresh.import_templates(&file).unwrap();
    assert_eq!(report.added, vec!["Web server", "Desktop"]);
    let got = fresh.templates().unwrap();
    let w = got.iter().find(|t| t.name == "Web server").unwrap();
    assert_eq!(w.firmware, TemplateFirmware::Uefi);
    assert_eq!(w.os_id.as_deref(), Some("http://debian.org/debian/12"));
}

#[test]
fn bad_import_files_store_nothing() {
    let (dir, db) = db();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let cases = [
        (write("broken.json", "{\"format\": \"kvm-manager-templates\", "), "not valid JSON"),
        (write("other.json", "{\"hello\": 1}"), "not a KVM Manager template file"),
        (
            write("newer.json", "{\"format\":\"kvm-manager-templates\",\"version\":99,\"templates\":[]}"),
            "newer version",
        ),
        (
            write(
                "damaged.json",
                "{\"format\":\"kvm-manager-templates\",\"version\":1,\"templates\":[{\"name\":\"x\"}]}",
            ),
            "damaged template",
        ),
    ];
    for (path, words) in cases {
        let err = db.import_templates(&path).unwrap_err();
        assert!(err.to_string().contains(words), "{err} should say {words}");
    }
    // One invalid template among good ones: none of them is stored.
    let good = serde_json::json!({"name": "ok", "vcpus": 1, "memory_kib": 1048576,
        "network": {"kind": "none"}, "firmware": "bios"});
    let bad = serde_json::json!({"name": "bad", "vcpus": 0, "memory_kib": 1048576,
        "network": {"kind": "none"}, "firmware": "bios"});
    let mixed = serde_json::json!({"format": "kvm-manager-templates", "version": 1,
        "templates": [good, bad]});
    let p = write("mixed.json", &mixed.to_string());
    let err = db.import_templates(&p).unwrap_err();
    assert!(err.to_string().contains("“bad”"), "{err}");
    let missing = db
        .import_templates(&dir.path().join("nope.json"))
        .unwrap_err();
    assert!(matches!(missing, StoreError::File(_)), "{missing:?}");
    assert!(db.templates().unwrap().is_empty(), "nothing half-imported");
}

#[test]
fn a_template_from_a_machine() {
    let d = VmDetails {
        name: "web".into(),
        description: "front end".into(),
        os_id: Some("http://fedoraproject.org/fedora/38".into()),
        vcpus: 2,
        memory_kib: 4 << 20,
        firmware: "UEFI".into(),
        nics: vec![NicInfo {
            kind: "bridge".into(),
            source: "br0".into(),
            ..NicInfo::default()
        }],
        ..VmDetails::default()
    };
    let t = Template::from_details(" Web template ", &d);
    assert_eq!(t.name, "Web template");
    assert_eq!(t.network, TemplateNetwork::Bridge("br0".into()));
    assert_eq!(t.firmware, TemplateFirmware::Uefi);
    assert_eq!(t.disk_bytes, None);
    assert_eq!(t.vcpus, 2);
}
