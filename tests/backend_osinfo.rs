//! The libosinfo database as Debian ships it (osinfo-db in /usr/share/osinfo): load time,
//! inheritance, ISO volume-id detection, search; plus the test overlay
//! (tests/fixtures/osinfo) that adds Debian 12, which Debian 12's own osinfo-db
//! (0.20221130) predates, and a small synthetic database for the edge cases.

mod common;
mod create_support;

use std::path::{Path, PathBuf};
use std::time::Instant;

use create_support::write_iso;
use kvm_manager::backend::osinfo::{read_iso_volume_id, OsDb, UNKNOWN_OS_ID};

const GIB: u64 = 1 << 30;
const SYSTEM: &str = "/usr/share/osinfo";

fn system() -> OsDb {
    OsDb::load(Path::new(SYSTEM)).expect("osinfo-db is installed (scripts/install-deps.sh)")
}

fn with_overlay() -> OsDb {
    create_support::osdb()
}

#[test]
fn loads_the_system_database_quickly() {
    let t = Instant::now();
    let db = system();
    let took = t.elapsed();
    eprintln!(
        "osinfo-db: {} OSes loaded in {took:?} ({} build)",
        db.entries().len(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    assert!(db.entries().len() > 500);
    assert!(db.skipped_files.is_empty(), "{:?}", db.skipped_files);
    assert!(took.as_secs() < 10, "loading took {took:?}");
    // Every volume-id pattern is usable with the regex crate (one needs a look-ahead
    // dropped).
    let (ok, total) = db.pattern_stats();
    assert_eq!(ok, total, "{ok} of {total} patterns compile");
    assert_eq!(
        db.device_name("http://pcisig.com/pci/1af4/1001"),
        Some("virtio-block")
    );
}

#[test]
fn detects_installers_from_volume_ids() {
    let db = with_overlay();
    let short = |v: &str, arch: &str| {
        db.detect_from_volume_id(v, arch)
            .map(|e| e.short_id.clone())
    };
    assert_eq!(
        short("Debian 12.5.0 amd64 n", "x86_64").as_deref(),
        Some("debian12")
    );
    assert_eq!(
        short("Debian 12.2.0 amd64 1", "x86_64").as_deref(),
        Some("debian12")
    );
    assert_eq!(
        short("Debian 11.5.0 amd64 n", "x86_64").as_deref(),
        Some("debian11")
    );
    // The architecture must match the medium's.
    assert_eq!(short("Debian 11.5.0 i386 n", "x86_64"), None);
    assert_eq!(
        short("Debian 11.5.0 i386 n", "i686").as_deref(),
        Some("debian11")
    );
    // Windows 10 Enterprise media are unambiguous; consumer media share one pattern
    // between 10 and 11, and the newer (which needs UEFI) is preferred.
    assert_eq!(
        short("CENA_X64FREV_EN-US_DV5", "x86_64").as_deref(),
        Some("win10")
    );
    let both: Vec<_> = db
        .detect_candidates("CCCOMA_X64FRE_EN-US_DV9", "x86_64")
        .iter()
        .map(|e| e.short_id.clone())
        .collect();
    assert_eq!(both, ["win11", "win10"]);
    assert_eq!(
        short("Fedora-WS-Live-37-1-7", "x86_64").as_deref(),
        Some("fedora37")
    );
    assert_eq!(
        short("Ubuntu 22.04.1 LTS amd64", "x86_64").as_deref(),
        Some("ubuntu22.04")
    );
    assert_eq!(short("MY_OWN_DISC", "x86_64"), None);
    // Without the overlay, Debian 12 media are not recognised by bookworm's database.
    assert_eq!(
        system().detect_from_volume_id("Debian 12.5.0 amd64 n", "x86_64"),
        None
    );
}

#[test]
fn volume_id_of_a_built_iso_detects_debian_12() {
    let dir = tempfile::tempdir().unwrap();
    let iso = dir.path().join("debian-12.5.0-amd64-netinst.iso");
    write_iso(&iso, "Debian 12.5.0 amd64 n");
    let id = read_iso_volume_id(&iso).unwrap();
    assert_eq!(id, "Debian 12.5.0 amd64 n");
    let db = with_overlay();
    let os = db.detect_from_volume_id(&id, "x86_64").unwrap();
    assert_eq!(os.id, "http://debian.org/debian/12");
    // Bad files say what is wrong.
    let e = read_iso_volume_id(&dir.path().join("missing.iso")).unwrap_err();
    assert!(e.message.contains("missing.iso"), "{e}");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    let e = read_iso_volume_id(&text).unwrap_err();
    assert!(e.message.contains("not an ISO 9660"), "{e}");
}

#[test]
fn search_is_case_insensitive_and_newest_first() {
    let db = with_overlay();
    let names =
        |q: &str| -> Vec<String> { db.search(q).iter().map(|e| e.short_id.clone()).collect() };
    let debian = names("DEBIAN");
    assert_eq!(&debian[..3], ["debian12", "debian11", "debian10"]);
    assert!(names("windows 10").contains(&"win10".to_owned()));
    assert!(names("win10").contains(&"win10".to_owned()));
    // By vendor.
    assert!(names("microsoft corporation").contains(&"win11".to_owned()));
    assert!(names("no such system").is_empty());
    assert_eq!(db.search("").len(), db.entries().len());
}

#[test]
fn resources_and_devices_follow_inheritance() {
    let db = with_overlay();
    let d11 = db.lookup("http://debian.org/debian/11").unwrap();
    assert_eq!(d11.recommended.ram_bytes, Some(GIB));
    assert_eq!(d11.recommended.storage_bytes, Some(20 * GIB));
    assert_eq!(d11.minimum.cpus, Some(1));
    // Debian 11 lists only newer virtio devices itself; virtio-block and virtio-net come
    // from Debian 6 and older through derives-from.
    assert!(d11.supports_virtio_disk() && d11.supports_virtio_net());
    assert!(d11.supports_virtio_rng() && d11.supports_virtio_gpu());
    assert_eq!(
        (d11.release_date.as_deref(), d11.family.as_str()),
        (Some("2021-08-14"), "linux")
    );
    let d12 = db.lookup("http://debian.org/debian/12").unwrap();
    assert!(
        d12.supports_virtio_disk(),
        "inherited from the system's Debian 11"
    );
    assert_eq!(
        d12.derives_from.as_deref(),
        Some("http://debian.org/debian/11")
    );

    let w10 = db.lookup("http://microsoft.com/win/10").unwrap();
    // x86_64's own block wins over i686's.
    assert_eq!(w10.minimum.ram_bytes, Some(2 * GIB));
    assert!(!w10.supports_virtio_disk() && !w10.supports_virtio_net());
    assert!(w10.is_windows() && !w10.requires_uefi);
    assert_eq!(w10.eol_date.as_deref(), Some("2029-01-09"));
    let w11 = db.lookup_short_id("win11").unwrap();
    assert!(w11.requires_uefi);
    assert_eq!(w11.recommended.ram_bytes, Some(4 * GIB));

    // Generic Linux 2022 states `resources inherit="true"`: Ubuntu 22.04's figures.
    let generic = db.lookup("http://libosinfo.org/linux/2022").unwrap();
    let ubuntu = db.lookup("http://ubuntu.com/ubuntu/22.04").unwrap();
    assert_eq!(generic.recommended, ubuntu.recommended);
    // ...and re-enables virtio-gpu, which Ubuntu 22.04 marks unsupported.
    assert!(!ubuntu.supports_virtio_gpu());
    assert!(generic.supports_virtio_gpu());

    let unknown = db.fallback();
    assert_eq!(unknown.id, UNKNOWN_OS_ID);
    assert!(!unknown.supports_virtio_disk());
}

fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn synthetic_database_edge_cases() {
    let dir = tempfile::tempdir().unwrap();
    let os = |id: &str, body: &str| {
        format!("<libosinfo version='0.0.1'><os id='{id}'>{body}</os></libosinfo>")
    };
    write(
        dir.path(),
        "os/a/base.xml",
        &os(
            "http://x/base",
            "<short-id>base</short-id><name>Base</name>\
             <resources arch='all'><recommended><ram>100</ram><storage>1000</storage></recommended></resources>\
             <devices><device id='http://pcisig.com/pci/1af4/1001'/><device id='http://pcisig.com/pci/1af4/1000'/></devices>",
        ),
    );
    write(
        dir.path(),
        "os/a/child.xml",
        &os(
            "http://x/child",
            "<short-id>child</short-id><name>Child</name><derives-from id='http://x/base'/>\
             <resources arch='all'><minimum><ram>500</ram></minimum></resources>\
             <devices><device id='http://pcisig.com/pci/1af4/1000' supported='false'/></devices>",
        ),
    );
    // Spread over a main file and a .d directory, as Windows entries are.
    write(
        dir.path(),
        "os/a/split.xml",
        &os("http://x/split", "<name>Split</name>"),
    );
    write(
        dir.path(),
        "os/a/split.d/more.xml",
        &os("http://x/split", "<short-id>split</short-id><media arch='x86_64'><iso><volume-id>SPLIT_\\d+</volume-id></iso></media>"),
    );
    // A derives-from cycle must not hang or crash.
    write(
        dir.path(),
        "os/a/c1.xml",
        &os(
            "http://x/c1",
            "<name>C1</name><derives-from id='http://x/c2'/>",
        ),
    );
    write(
        dir.path(),
        "os/a/c2.xml",
        &os(
            "http://x/c2",
            "<name>C2</name><derives-from id='http://x/c1'/>",
        ),
    );
    write(dir.path(), "os/a/broken.xml", "<libosinfo><os id='x'>");

    let db = OsDb::load(dir.path()).unwrap();
    assert_eq!(db.skipped_files.len(), 1);
    let child = db.lookup_short_id("child").unwrap();
    assert!(child.supports_virtio_disk());
    assert!(
        !child.supports_virtio_net(),
        "removed with supported='false'"
    );
    // The inherited recommendation is raised to this OS's own minimum.
    assert_eq!(child.recommended.ram_bytes, Some(500));
    assert_eq!(child.recommended.storage_bytes, Some(1000));
    let split = db.lookup("http://x/split").unwrap();
    assert_eq!(
        (split.name.as_str(), split.short_id.as_str()),
        ("Split", "split")
    );
    assert_eq!(
        db.detect_from_volume_id("SPLIT_7", "x86_64").unwrap().id,
        "http://x/split"
    );
    assert!(db.lookup("http://x/c1").is_some());
    // Without "unknown" in the database, the fallback is built in.
    assert_eq!(db.fallback().id, UNKNOWN_OS_ID);

    let empty = tempfile::tempdir().unwrap();
    let e = OsDb::load(empty.path()).unwrap_err();
    assert!(e.message.contains("osinfo-db"), "{e}");
}
