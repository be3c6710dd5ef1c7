//! Start-up only: logging, translations, command line, then the relm4 application.

use gettextrs::{gettext, LocaleCategory};
use kvm_manager::app::{App, AppInit};
use kvm_manager::config;

const USAGE: &str = "Usage: kvm-manager [--connect URI] [--console NAME]\n\n\
  -c, --connect URI   open this libvirt URI (e.g. qemu:///system, test:///default)\n\
  --console NAME      open the console of machine NAME (name or UUID) in a window\n\
  -V, --version       print the version\n\
  -h, --help          print this help";

fn parse_args() -> Result<AppInit, String> {
    let mut init = AppInit::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-c" | "--connect" => {
                let uri = args.next().ok_or_else(|| format!("{arg} needs a URI"))?;
                init.uri = Some(uri);
            }
            s if s.starts_with("--connect=") => {
                init.uri = Some(s["--connect=".len()..].to_string())
            }
            "--console" => {
                let name = args
                    .next()
                    .ok_or_else(|| format!("{arg} needs a machine name"))?;
                init.console = Some(name);
            }
            "-V" | "--version" => {
                println!("kvm-manager {}", config::VERSION);
                std::process::exit(0);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(init)
}

/// When the cairo renderer is asked for (remote X, Xvfb, software-only machines), GTK 4.8 on
/// X11 would still load the whole GL stack (Mesa, LLVM: about 50 MB) just to pick a visual.
/// Tell it not to, unless the user set GDK_DEBUG themselves.
fn prefer_no_gl() {
    let cairo = std::env::var("GSK_RENDERER").is_ok_and(|r| r == "cairo");
    if cairo && std::env::var_os("GDK_DEBUG").is_none() {
        // SAFETY: called before any other thread exists (logging and gettext set up only).
        unsafe { std::env::set_var("GDK_DEBUG", "gl-disable") };
    }
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .format_timestamp_millis()
        .init();

    // SAFETY: no other thread exists yet, so nothing reads the locale while it changes.
    unsafe {
        gettextrs::setlocale(LocaleCategory::LcAll, "");
    }
    if let Err(e) = gettextrs::bindtextdomain(config::GETTEXT_PACKAGE, config::LOCALEDIR) {
        log::warn!("translations unavailable: {e}");
    }
    let _ = gettextrs::bind_textdomain_codeset(config::GETTEXT_PACKAGE, "UTF-8");
    let _ = gettextrs::textdomain(config::GETTEXT_PACKAGE);

    let init = match parse_args() {
        Ok(init) => init,
        Err(e) => {
            eprintln!("kvm-manager: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    };

    gtk::glib::set_application_name(&gettext("KVM Manager"));
    gtk::glib::set_prgname(Some("kvm-manager"));
    // GTK must not see our own options.
    let argv0 = std::env::args()
        .next()
        .unwrap_or_else(|| "kvm-manager".into());
    prefer_no_gl();
    if let Err(e) = gtk::init() {
        let display = std::env::var("WAYLAND_DISPLAY")
            .or_else(|_| std::env::var("DISPLAY"))
            .unwrap_or_default();
        eprintln!(
            "kvm-manager: {} “{display}”: {e}",
            gettext("cannot open the display")
        );
        std::process::exit(1);
    }
    // `--console NAME`: only the console window opens (App shows the main window when
    // it has something to say).
    let app = relm4::RelmApp::new(config::APP_ID)
        .with_args(vec![argv0])
        .visible_on_activate(init.console.is_none());
    kvm_manager::ui::startup(include_str!("../resources/style.css"));
    app.run::<App>(init);
}
