//! Live: the SPICE console view (issue 7) on a guest with SPICE graphics.
//!
//! The rig's own domain has VNC; this test starts a second, transient domain
//! `kvmm-test-spice` from the rig's kernel (its bzImage) and initramfs:
//! SPICE on 127.0.0.1 (autoport) with a password, QXL video (VGA when QEMU has no QXL),
//! no disk, no network, a serial pty logged to a file, `console=tty0 console=ttyS0`.
//! `rig.py down` removes it too if the test is killed (its name starts with kvmm-test-).
//!
//! The view is a GTK widget, so the checks run in a child process (this test binary again,
//! `zz_child_spice_view`, tests/live/spice_child.rs) under its own `xvfb-run -a`: GTK is
//! initialised once per process and the other live tests stay GTK-free.

use std::io::Cursor;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command as Process;
use std::time::Instant;

use kvm_manager::backend::xml::{parse_domain, parse_tree};
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event as XmlEvent};
use quick_xml::Writer;
use virt::connect::Connect;
use virt::domain::Domain;

use crate::support::*;

pub const SPICE_DOMAIN: &str = "kvmm-test-spice";
pub const SPICE_LOG: &str = "/var/log/libvirt/qemu/kvmm-test-spice-serial.log";
pub const SPICE_PASSWORD: &str = "kvmm-spice-pw";
/// One argument of `xvfb-run -s` (the X server's own options), as tests/ui/run.sh has it.
const XVFB_SERVER_ARGS: &str = "-screen 0 1280x800x24 -nolisten tcp -noreset";
const CMDLINE: &str = "console=tty0 console=ttyS0 panic=-1 loglevel=4 acpi=noirq";

/// The transient domain; destroyed (and so gone) when dropped, its log removed.
struct Transient(Domain);

impl Drop for Transient {
    fn drop(&mut self) {
        let _ = self.0.destroy();
        let _ = std::fs::remove_file(SPICE_LOG);
    }
}

/// Kernel, initramfs and virtualisation type for the SPICE guest. The kernel is the
/// rig's bzImage (build/live-cache), not the PVH ELF the rig boots: entered through the
/// BIOS it finds the VGA text screen, so the kernel and the tty1 shell write to it (the
/// PVH entry leaves the VGA console dark). It is copied next to the rig's boot files,
/// where QEMU may read it and `rig.py down` removes it.
fn boot_files() -> (String, String, String) {
    let xml = virsh_ok(&["dumpxml", "--inactive", DOMAIN]);
    let root = parse_tree(&xml).expect("rig domain XML");
    let os = root.child("os").expect("<os> in the rig domain");
    let boot_dir = Path::new(&os.child_text("kernel"))
        .parent()
        .expect("the rig's boot directory")
        .to_owned();
    let bzimage = std::fs::read_dir(repo().join("build/live-cache"))
        .expect("build/live-cache (made by rig.py up)")
        .flatten()
        .map(|e| e.path().join("vmlinuz"))
        .find(|p| p.exists())
        .expect("the rig guest's bzImage in build/live-cache");
    let kernel = boot_dir.join("spice-vmlinuz");
    std::fs::copy(&bzimage, &kernel).expect("copy the bzImage");
    std::fs::set_permissions(&kernel, std::fs::Permissions::from_mode(0o644)).unwrap();
    (
        kernel.to_string_lossy().into_owned(),
        os.child_text("initrd"),
        root.attr("type").unwrap_or("qemu").to_owned(),
    )
}

/// QXL where this QEMU offers it (libvirt's domain capabilities), VGA otherwise.
fn video_model(virt_type: &str) -> &'static str {
    let caps = virsh_ok(&["domcapabilities", "--virttype", virt_type]);
    if caps.contains("<value>qxl</value>") {
        "qxl"
    } else {
        "vga"
    }
}

struct Xw(Writer<Cursor<Vec<u8>>>);

impl Xw {
    fn open(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        let mut s = BytesStart::new(tag);
        s.extend_attributes(attrs.iter().copied());
        self.0.write_event(XmlEvent::Start(s)).unwrap();
    }
    fn close(&mut self, tag: &str) {
        self.0
            .write_event(XmlEvent::End(BytesEnd::new(tag)))
            .unwrap();
    }
    fn empty(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        let mut s = BytesStart::new(tag);
        s.extend_attributes(attrs.iter().copied());
        self.0.write_event(XmlEvent::Empty(s)).unwrap();
    }
    fn text(&mut self, tag: &str, attrs: &[(&str, &str)], text: &str) {
        self.open(tag, attrs);
        self.0
            .write_event(XmlEvent::Text(BytesText::new(text)))
            .unwrap();
        self.close(tag);
    }
}

fn domain_xml(kernel: &str, initrd: &str, virt_type: &str, video: &str) -> String {
    let mut w = Xw(Writer::new(Cursor::new(Vec::new())));
    w.open("domain", &[("type", virt_type)]);
    w.text("name", &[], SPICE_DOMAIN);
    w.text("memory", &[("unit", "MiB")], "256");
    w.text("vcpu", &[], "1");
    w.open("os", &[]);
    w.text("type", &[("arch", "x86_64"), ("machine", "pc")], "hvm");
    w.text("kernel", &[], kernel);
    w.text("initrd", &[], initrd);
    w.text("cmdline", &[], CMDLINE);
    w.close("os");
    w.open("features", &[]);
    w.empty("acpi", &[]);
    w.empty("apic", &[]);
    w.close("features");
    w.text("on_poweroff", &[], "destroy");
    w.open("devices", &[]);
    w.empty("controller", &[("type", "usb"), ("model", "none")]);
    w.open("serial", &[("type", "pty")]);
    w.empty("log", &[("file", SPICE_LOG), ("append", "off")]);
    w.empty("target", &[("port", "0")]);
    w.close("serial");
    w.open(
        "graphics",
        &[
            ("type", "spice"),
            ("autoport", "yes"),
            ("listen", "127.0.0.1"),
            ("passwd", SPICE_PASSWORD),
        ],
    );
    w.empty("listen", &[("type", "address"), ("address", "127.0.0.1")]);
    w.close("graphics");
    w.open("video", &[]);
    w.empty("model", &[("type", video)]);
    w.close("video");
    w.empty("memballoon", &[("model", "none")]);
    w.close("devices");
    w.close("domain");
    String::from_utf8(w.0.into_inner().into_inner()).unwrap()
}

/// Starts the SPICE guest and runs the view's checks in a child process under Xvfb.
pub fn spice_view_shows_frames() {
    let (kernel, initrd, virt_type) = boot_files();
    let video = video_model(&virt_type);
    let conn = Connect::open(Some(URI)).expect("connect to qemu:///system");
    if let Ok(old) = conn.lookup_domain_by_name(SPICE_DOMAIN) {
        let _ = old.destroy(); // a leftover of a killed run
    }
    let _ = std::fs::remove_file(SPICE_LOG);
    let xml = domain_xml(&kernel, &initrd, &virt_type, video);
    let t = Instant::now();
    let guest = Transient(
        conn.create_domain_xml(&xml, 0)
            .expect("start kvmm-test-spice"),
    );
    let live = parse_domain(&guest.0.xml_desc(0).unwrap()).unwrap();
    let port = live
        .graphics
        .iter()
        .find(|g| g.kind == "spice")
        .and_then(|g| g.port)
        .filter(|p| *p > 0)
        .expect("a SPICE port in the live XML");
    println!(
        "SPICE guest ({virt_type}, {video}) started in {:?}, port {port}",
        t.elapsed()
    );

    let mut tries = 0;
    let text = loop {
        tries += 1;
        let text = run_child(port);
        // Other sessions start their own `xvfb-run -a` servers: a clash on the display
        // number fails GTK's start; only that is retried, once.
        if tries == 1 && text.contains("KVMM-SPICE-CHILD: no display") {
            println!("the child could not open its X display; once more");
            continue;
        }
        break text;
    };
    println!("{text}");
    assert!(
        text.contains("KVMM-SPICE-CHILD: OK"),
        "the SPICE view checks failed:\n{text}"
    );
    drop(guest);
    assert!(conn.lookup_domain_by_name(SPICE_DOMAIN).is_err());
}

fn run_child(port: i32) -> String {
    let out = Process::new("timeout")
        .args([
            "--kill-after=10",
            "240",
            "xvfb-run",
            "-a",
            "-s",
            XVFB_SERVER_ARGS,
        ])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "zz_child_spice_view",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("KVMM_SPICE_CHILD", "1")
        .env("KVMM_SPICE_PORT", port.to_string())
        .env("GDK_BACKEND", "x11")
        .env("GSK_RENDERER", "cairo")
        .env("GTK_A11Y", "none")
        .env("NO_AT_BRIDGE", "1")
        .env("ADW_DISABLE_PORTAL", "1")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("run xvfb-run (scripts/install-deps.sh test installs it)");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
