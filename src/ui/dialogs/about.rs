//! The About window.

use adw::prelude::*;
use gettextrs::gettext;

use crate::config;

pub fn show(parent: &gtk::Window) {
    let about = adw::AboutWindow::builder()
        .transient_for(parent)
        .modal(true)
        .application_name(gettext("KVM Manager"))
        .application_icon(config::APP_ID)
        .version(config::VERSION)
        .developer_name(gettext("The KVM Manager developers"))
        .comments(gettext(
            "Manage KVM/QEMU virtual machines on this computer and on your servers.",
        ))
        .website("https://github.com/kvmmanager/kvm-manager")
        .issue_url("https://github.com/kvmmanager/kvm-manager/issues")
        .license_type(gtk::License::Gpl30)
        // Translators: replace with your names, one per line, to be credited.
        .translator_credits(gettext("translator-credits"))
        .build();
    about.present();
}
