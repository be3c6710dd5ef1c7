//! Consoles inside the app: the VM page's Console tab and any number of console windows
//! show the same [`ConsoleView`]. A view picks a console (the graphical display or a text
//! console), asks the connection worker to open it (through the [`ConsoleHub`], which
//! routes the worker's answer back to the view that asked), then shows the VNC or SPICE
//! view (`ui::widgets::vnc_view`, `ui::widgets::spice_view`) or the serial terminal
//! (`ui::widgets::terminal`), and, around them, the states a person understands:
//! connecting, not running (with Start), no display, disconnected (with Reconnect),
//! password required or refused.

mod choices;
mod connect;
pub mod external;
mod hub;
mod pages;
mod screen;
mod screenshot;
mod toolbar;
mod view;
mod window;

pub use choices::{console_choices, ConsoleChoice};
pub use hub::ConsoleHub;
pub use view::ConsoleView;
pub use window::ConsoleWindow;
