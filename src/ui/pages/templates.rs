//! The Templates page: saved machine configurations, with edit, delete, "New Machine"
//! from one, and export/import to a JSON file. Every database call runs off the main
//! thread (`spawn_oneshot_command`); the list is re-read after each change.

use std::path::PathBuf;

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;

use crate::i18n::{gettext_f, ngettext_f};
use crate::services::db;
use crate::services::templates::{Template, TemplateNetwork};
use crate::ui::dialogs::template_editor::{self, TemplateEditor};
use crate::ui::{a11y, format};

#[derive(Debug)]
pub enum TemplatesMsg {
    Reload,
    Edit(i64),
    Delete(i64),
    NewMachine(i64),
    Import,
    Export,
    /// The editor's Save (the editor waits for `Saved`).
    Save(Template),
    Folded(bool),
}

#[derive(Debug)]
pub enum TemplatesOutput {
    Toast(String, bool),
    NewMachine(Box<Template>),
    ShowSidebar,
}

#[derive(Debug)]
pub enum TemplatesCmd {
    Loaded(Result<Vec<Template>, String>),
    Saved(Result<Template, String>),
    Deleted(String, Result<(), String>),
    Imported(Result<(usize, Vec<(String, String)>), String>),
    Exported(PathBuf, Result<usize, String>),
}

pub struct TemplatesPage {
    templates: Vec<Template>,
    list: gtk::ListBox,
    stack: gtk::Stack,
    error: adw::StatusPage,
    back: gtk::Button,
    editor: Option<TemplateEditor>,
    /// GTK does not keep native file choosers alive: the open one is held here.
    chooser: Option<gtk::FileChooserNative>,
}

/// "Debian 12 · 2 vCPUs · 2 GiB · 20 GiB disk · network default".
pub fn summary(t: &Template) -> String {
    let mut parts = vec![
        t.os_id
            .as_deref()
            .map(format::os_name)
            .unwrap_or_else(|| gettext("Unknown OS")),
        format::vcpus(t.vcpus),
        format::kib(t.memory_kib),
    ];
    parts.push(match t.disk_bytes {
        Some(b) => gettext_f("{size} disk", &[("size", &format::bytes(b))]),
        None => gettext("no disk"),
    });
    parts.push(match &t.network {
        TemplateNetwork::Network(n) => gettext_f("network {name}", &[("name", n)]),
        TemplateNetwork::Bridge(n) => gettext_f("bridge {name}", &[("name", n)]),
        TemplateNetwork::None => gettext("no network"),
    });
    parts.join(" · ")
}

fn blocking<T>(f: impl FnOnce(&db::Database) -> Result<T, db::StoreError>) -> Result<T, String> {
    let db = db::shared().map_err(|e| e.to_string())?;
    f(&db).map_err(|e| e.to_string())
}

fn file_chooser(
    parent: Option<gtk::Window>,
    save: bool,
    on_file: impl Fn(PathBuf) + 'static,
) -> gtk::FileChooserNative {
    let (title, accept, action) = if save {
        (
            gettext("Export Templates"),
            gettext("Export"),
            gtk::FileChooserAction::Save,
        )
    } else {
        (
            gettext("Import Templates"),
            gettext("Import"),
            gtk::FileChooserAction::Open,
        )
    };
    let chooser = gtk::FileChooserNative::new(
        Some(&title),
        parent.as_ref(),
        action,
        Some(&accept),
        Some(&gettext("Cancel")),
    );
    let filter = gtk::FileFilter::new();
    filter.set_name(Some(&gettext("Template files")));
    filter.add_pattern("*.json");
    chooser.add_filter(&filter);
    if save {
        chooser.set_current_name("kvm-manager-templates.json");
    }
    chooser.connect_response(move |chooser, response| {
        if response == gtk::ResponseType::Accept {
            if let Some(path) = chooser.file().and_then(|f| f.path()) {
                on_file(path);
            }
        }
    });
    chooser.show();
    chooser
}

impl TemplatesPage {
    fn rebuild(&self, sender: &ComponentSender<Self>) {
        while let Some(row) = self.list.first_child() {
            self.list.remove(&row);
        }
        for t in &self.templates {
            let id = t.id.unwrap_or_default();
            let row = adw::ActionRow::builder()
                .title(glib_escape(&t.name))
                .subtitle(glib_escape(&summary(t)))
                .build();
            if !t.description.is_empty() {
                row.set_tooltip_text(Some(&t.description));
            }
            let buttons: [(&str, String, TemplatesMsg); 3] = [
                (
                    "list-add-symbolic",
                    gettext_f("New Machine from “{name}”", &[("name", &t.name)]),
                    TemplatesMsg::NewMachine(id),
                ),
                (
                    "document-edit-symbolic",
                    gettext_f("Edit “{name}”", &[("name", &t.name)]),
                    TemplatesMsg::Edit(id),
                ),
                (
                    "user-trash-symbolic",
                    gettext_f("Delete “{name}”", &[("name", &t.name)]),
                    TemplatesMsg::Delete(id),
                ),
            ];
            for (icon, label, msg) in buttons {
                let button = a11y::icon_button(icon, &label);
                button.set_valign(gtk::Align::Center);
                button.add_css_class("flat");
                let sender = sender.clone();
                let msg = std::cell::Cell::new(Some(msg));
                // Each button sends its own message; rebuilt rows make new buttons.
                let msg = std::rc::Rc::new(msg);
                button.connect_clicked(move |_| {
                    if let Some(m) = msg.take() {
                        sender.input(m);
                    }
                });
                row.add_suffix(&button);
            }
            self.list.append(&row);
        }
        a11y::show_only(
            &self.stack,
            if self.templates.is_empty() {
                "empty"
            } else {
                "list"
            },
        );
    }

    fn find(&self, id: i64) -> Option<&Template> {
        self.templates.iter().find(|t| t.id == Some(id))
    }

    fn window(&self) -> Option<gtk::Window> {
        self.list.root().and_downcast::<gtk::Window>()
    }
}

fn glib_escape(s: &str) -> String {
    gtk::glib::markup_escape_text(s).to_string()
}

pub struct TemplatesWidgets {}

impl Component for TemplatesPage {
    type Init = ();
    type Input = TemplatesMsg;
    type Output = TemplatesOutput;
    type CommandOutput = TemplatesCmd;
    type Root = gtk::Box;
    type Widgets = TemplatesWidgets;

    fn init_root() -> gtk::Box {
        gtk::Box::new(gtk::Orientation::Vertical, 0)
    }

    fn init(_: (), root: gtk::Box, sender: ComponentSender<Self>) -> ComponentParts<Self> {
        let header = adw::HeaderBar::builder()
            .title_widget(&adw::WindowTitle::new(&gettext("Templates"), ""))
            .build();
        let back = a11y::icon_button("go-previous-symbolic", &gettext("Back"));
        back.set_visible(false);
        {
            let sender = sender.clone();
            back.connect_clicked(move |_| {
                let _ = sender.output(TemplatesOutput::ShowSidebar);
            });
        }
        header.pack_start(&back);
        let export = a11y::icon_button("document-save-symbolic", &gettext("Export Templates"));
        {
            let sender = sender.clone();
            export.connect_clicked(move |_| sender.input(TemplatesMsg::Export));
        }
        let import = a11y::icon_button("document-open-symbolic", &gettext("Import Templates"));
        {
            let sender = sender.clone();
            import.connect_clicked(move |_| sender.input(TemplatesMsg::Import));
        }
        header.pack_end(&export);
        header.pack_end(&import);

        let list = gtk::ListBox::builder()
            .css_classes(["boxed-list"])
            .selection_mode(gtk::SelectionMode::None)
            .valign(gtk::Align::Start)
            .build();
        a11y::set_label(&list, &gettext("Templates"));
        let column = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .margin_top(24)
            .margin_bottom(24)
            .margin_start(12)
            .margin_end(12)
            .build();
        column.append(&list);
        let scroll = gtk::ScrolledWindow::builder()
            .child(
                &adw::Clamp::builder()
                    .maximum_size(720)
                    .child(&column)
                    .build(),
            )
            .hscrollbar_policy(gtk::PolicyType::Never)
            .vexpand(true)
            .build();

        let import_again = gtk::Button::builder()
            .label(gettext("Import Templates…"))
            .halign(gtk::Align::Center)
            .css_classes(["pill"])
            .build();
        {
            let sender = sender.clone();
            import_again.connect_clicked(move |_| sender.input(TemplatesMsg::Import));
        }
        let empty = adw::StatusPage::builder()
            .icon_name("folder-templates-symbolic")
            .title(gettext("No Templates"))
            .description(gettext(
                "Save a machine as a template from its page (“Save as Template…” in its menu), or import templates from a file.",
            ))
            .child(&import_again)
            .vexpand(true)
            .build();
        let error = adw::StatusPage::builder()
            .icon_name("dialog-error-symbolic")
            .title(gettext("Templates Are Not Available"))
            .vexpand(true)
            .build();
        let loading = gtk::Spinner::builder()
            .spinning(true)
            .width_request(32)
            .height_request(32)
            .halign(gtk::Align::Center)
            .valign(gtk::Align::Center)
            .vexpand(true)
            .build();
        a11y::set_label(&loading, &gettext("Loading"));
        let stack = gtk::Stack::new();
        stack.add_named(&loading, Some("loading"));
        stack.add_named(&scroll, Some("list"));
        stack.add_named(&empty, Some("empty"));
        stack.add_named(&error, Some("error"));
        a11y::hide_other_pages(&stack);
        root.append(&header);
        root.append(&stack);

        sender.input(TemplatesMsg::Reload);
        ComponentParts {
            model: TemplatesPage {
                templates: Vec::new(),
                list,
                stack,
                error,
                back,
                editor: None,
                chooser: None,
            },
            widgets: TemplatesWidgets {},
        }
    }

    fn update(&mut self, msg: TemplatesMsg, sender: ComponentSender<Self>, _root: &gtk::Box) {
        match msg {
            TemplatesMsg::Reload => {
                sender
                    .spawn_oneshot_command(|| TemplatesCmd::Loaded(blocking(|db| db.templates())));
            }
            TemplatesMsg::Folded(folded) => self.back.set_visible(folded),
            TemplatesMsg::Edit(id) => {
                let (Some(t), Some(parent)) = (self.find(id).cloned(), self.window()) else {
                    return;
                };
                let input = sender.input_sender().clone();
                self.editor = Some(template_editor::show(&parent, &t, move |_, edited| {
                    input.emit(TemplatesMsg::Save(edited));
                }));
            }
            TemplatesMsg::Save(t) => {
                sender.spawn_oneshot_command(move || {
                    TemplatesCmd::Saved(blocking(|db| db.update_template(&t)))
                });
            }
            TemplatesMsg::Delete(id) => {
                let (Some(t), Some(parent)) = (self.find(id).cloned(), self.window()) else {
                    return;
                };
                let sender = sender.clone();
                let name = t.name.clone();
                crate::ui::dialogs::confirm::delete_template(&parent, &t.name, move || {
                    let name = name.clone();
                    sender.spawn_oneshot_command(move || {
                        TemplatesCmd::Deleted(name, blocking(|db| db.delete_template(id)))
                    });
                });
            }
            TemplatesMsg::NewMachine(id) => {
                if let Some(t) = self.find(id) {
                    let _ = sender.output(TemplatesOutput::NewMachine(Box::new(t.clone())));
                }
            }
            TemplatesMsg::Import => {
                let sender = sender.clone();
                self.chooser = Some(file_chooser(self.window(), false, move |path| {
                    sender.spawn_oneshot_command(move || {
                        TemplatesCmd::Imported(blocking(|db| {
                            db.import_templates(&path)
                                .map(|r| (r.added.len() + r.renamed.len(), r.renamed))
                        }))
                    });
                }));
            }
            TemplatesMsg::Export => {
                if self.templates.is_empty() {
                    let _ = sender.output(TemplatesOutput::Toast(
                        gettext("There are no templates to export"),
                        false,
                    ));
                    return;
                }
                let all = self.templates.clone();
                let sender = sender.clone();
                self.chooser = Some(file_chooser(self.window(), true, move |path| {
                    let all = all.clone();
                    sender.spawn_oneshot_command(move || {
                        let n = all.len();
                        let r = blocking(|db| db.export_templates(&all, &path)).map(|_| n);
                        TemplatesCmd::Exported(path, r)
                    });
                }));
            }
        }
    }

    fn update_cmd(&mut self, cmd: TemplatesCmd, sender: ComponentSender<Self>, _root: &gtk::Box) {
        let toast = |text: String, error: bool| {
            let _ = sender.output(TemplatesOutput::Toast(text, error));
        };
        match cmd {
            TemplatesCmd::Loaded(Ok(list)) => {
                self.templates = list;
                self.rebuild(&sender);
            }
            TemplatesCmd::Loaded(Err(e)) => {
                self.error.set_description(Some(&e));
                a11y::show_only(&self.stack, "error");
            }
            TemplatesCmd::Saved(Ok(t)) => {
                if let Some(editor) = self.editor.take() {
                    editor.close();
                }
                toast(
                    gettext_f("Template “{name}” saved", &[("name", &t.name)]),
                    false,
                );
                sender.input(TemplatesMsg::Reload);
            }
            TemplatesCmd::Saved(Err(e)) => match &self.editor {
                Some(editor) => editor.show_error(&e),
                None => toast(e, true),
            },
            TemplatesCmd::Deleted(name, Ok(())) => {
                toast(
                    gettext_f("Template “{name}” deleted", &[("name", &name)]),
                    false,
                );
                sender.input(TemplatesMsg::Reload);
            }
            TemplatesCmd::Deleted(_, Err(e)) | TemplatesCmd::Imported(Err(e)) => {
                toast(e, true);
                sender.input(TemplatesMsg::Reload);
            }
            TemplatesCmd::Imported(Ok((n, renamed))) => {
                let mut text = ngettext_f(
                    "Imported {n} template",
                    "Imported {n} templates",
                    n as u32,
                    &[("n", &n.to_string())],
                );
                for (from, to) in renamed {
                    text.push_str(" · ");
                    text.push_str(&gettext_f(
                        "“{from}” saved as “{to}”",
                        &[("from", &from), ("to", &to)],
                    ));
                }
                toast(text, false);
                sender.input(TemplatesMsg::Reload);
            }
            TemplatesCmd::Exported(path, Ok(n)) => toast(
                ngettext_f(
                    "Exported {n} template to {path}",
                    "Exported {n} templates to {path}",
                    n as u32,
                    &[("n", &n.to_string()), ("path", &path.display().to_string())],
                ),
                false,
            ),
            TemplatesCmd::Exported(_, Err(e)) => toast(e, true),
        }
    }
}
