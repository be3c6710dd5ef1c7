//! The VM page's Performance view: the shared [`PerfView`] for this machine, with a button
//! that opens the alert-rule dialog for it.

use gettextrs::gettext;
use gtk::prelude::*;

use crate::ui::widgets::perf_view::PerfView;

/// The scrolled page around `perf`; `on_new_rule` runs when "New Alert Rule…" is clicked.
pub fn page(perf: &PerfView, on_new_rule: impl Fn() + 'static) -> gtk::ScrolledWindow {
    let new_rule = gtk::Button::builder()
        .label(gettext("New Alert Rule…"))
        .halign(gtk::Align::End)
        .tooltip_text(gettext("Be notified when this machine crosses a threshold"))
        .build();
    new_rule.connect_clicked(move |_| on_new_rule());
    perf.toolbar.insert(&new_rule, -1);
    if let Some(cell) = new_rule.parent() {
        cell.set_focusable(false);
    }
    perf.root.set_margin_top(24);
    perf.root.set_margin_bottom(24);
    perf.root.set_margin_start(12);
    perf.root.set_margin_end(12);
    let clamp = adw::Clamp::builder()
        .maximum_size(960)
        .child(&perf.root)
        .build();
    gtk::ScrolledWindow::builder()
        .child(&clamp)
        .hscrollbar_policy(gtk::PolicyType::Never)
        .vexpand(true)
        .build()
}
