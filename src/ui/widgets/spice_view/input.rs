//! From what the display canvas reports (guest pixel, VNC-style button mask, scroll steps)
//! to the SPICE inputs channel's calls: absolute positions in client mouse mode, relative
//! motion in server mode, separate button press/release messages, and the wheel as
//! buttons 4 (up) and 5 (down).

use spice_client_glib::{InputsChannel, MouseButton};

/// Canvas button mask bits (as in VNC): left, middle, right.
const BUTTONS: [(u32, MouseButton); 3] = [
    (1, MouseButton::Left),
    (2, MouseButton::Middle),
    (4, MouseButton::Right),
];

/// One call on the inputs channel. `mask` is the SPICE button state the call carries
/// (the same bits as the canvas for left, middle and right).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputOp {
    Position { x: i32, y: i32, mask: i32 },
    Motion { dx: i32, dy: i32, mask: i32 },
    Press { button: MouseButton, mask: i32 },
    Release { button: MouseButton, mask: i32 },
}

/// What the pointer did last, to turn canvas reports into SPICE messages.
#[derive(Debug, Default)]
pub struct Pointer {
    last: Option<(u32, u32)>,
    buttons: u32,
    scroll: f64,
}

impl Pointer {
    /// The pointer is at guest pixel (`x`, `y`) with `buttons` down.
    pub fn moved(&mut self, x: u32, y: u32, buttons: u32, absolute: bool) -> Vec<InputOp> {
        let buttons = buttons & 7;
        let mut ops = Vec::new();
        let mask = self.buttons as i32;
        if absolute {
            if self.last != Some((x, y)) {
                ops.push(InputOp::Position {
                    x: x as i32,
                    y: y as i32,
                    mask,
                });
            }
        } else if let Some((lx, ly)) = self.last {
            let (dx, dy) = (x as i32 - lx as i32, y as i32 - ly as i32);
            if dx != 0 || dy != 0 {
                ops.push(InputOp::Motion { dx, dy, mask });
            }
        }
        self.last = Some((x, y));
        // Each button change as its own message, carrying the state before it (what
        // spice-gtk's widget sends).
        for (bit, button) in BUTTONS {
            let before = self.buttons as i32;
            if buttons & bit != 0 && self.buttons & bit == 0 {
                self.buttons |= bit;
                ops.push(InputOp::Press {
                    button,
                    mask: before,
                });
            } else if buttons & bit == 0 && self.buttons & bit != 0 {
                self.buttons &= !bit;
                ops.push(InputOp::Release {
                    button,
                    mask: before,
                });
            }
        }
        ops
    }

    /// Scroll by `dy` steps (positive: down); fractions from smooth scrolling add up.
    pub fn scrolled(&mut self, dy: f64) -> Vec<InputOp> {
        if !dy.is_finite() {
            return Vec::new();
        }
        // A wild value from a touchpad must not become thousands of clicks.
        self.scroll = (self.scroll + dy).clamp(-10.0, 10.0);
        let mut ops = Vec::new();
        let mask = self.buttons as i32;
        while self.scroll >= 1.0 {
            self.scroll -= 1.0;
            ops.push(InputOp::Press {
                button: MouseButton::Down,
                mask,
            });
            ops.push(InputOp::Release {
                button: MouseButton::Down,
                mask,
            });
        }
        while self.scroll <= -1.0 {
            self.scroll += 1.0;
            ops.push(InputOp::Press {
                button: MouseButton::Up,
                mask,
            });
            ops.push(InputOp::Release {
                button: MouseButton::Up,
                mask,
            });
        }
        ops
    }

    /// Forget positions and buttons (a new session, or the mouse mode changed).
    pub fn reset(&mut self) {
        *self = Pointer::default();
    }
}

/// Sends `ops` on `inputs` (display 0).
pub fn apply(inputs: &InputsChannel, ops: &[InputOp]) {
    for op in ops {
        match *op {
            InputOp::Position { x, y, mask } => inputs.position(x, y, 0, mask),
            InputOp::Motion { dx, dy, mask } => inputs.motion(dx, dy, mask),
            InputOp::Press { button, mask } => inputs.button_press(button as i32, mask),
            InputOp::Release { button, mask } => inputs.button_release(button as i32, mask),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_mode_sends_positions_and_button_edges() {
        let mut p = Pointer::default();
        assert_eq!(
            p.moved(10, 20, 0, true),
            [InputOp::Position {
                x: 10,
                y: 20,
                mask: 0
            }]
        );
        assert_eq!(
            p.moved(10, 20, 1, true),
            [InputOp::Press {
                button: MouseButton::Left,
                mask: 0
            }]
        );
        assert_eq!(
            p.moved(12, 20, 1 | 4, true),
            [
                InputOp::Position {
                    x: 12,
                    y: 20,
                    mask: 1
                },
                InputOp::Press {
                    button: MouseButton::Right,
                    mask: 1
                }
            ]
        );
        assert_eq!(
            p.moved(12, 20, 0, true),
            [
                InputOp::Release {
                    button: MouseButton::Left,
                    mask: 5
                },
                InputOp::Release {
                    button: MouseButton::Right,
                    mask: 4
                }
            ]
        );
    }

    #[test]
    fn server_mode_sends_relative_motion_from_the_second_report() {
        let mut p = Pointer::default();
        assert!(p.moved(100, 100, 0, false).is_empty());
        assert_eq!(
            p.moved(90, 105, 0, false),
            [InputOp::Motion {
                dx: -10,
                dy: 5,
                mask: 0
            }]
        );
        p.reset();
        assert!(p.moved(0, 0, 0, false).is_empty());
    }

    #[test]
    fn the_wheel_is_buttons_four_and_five() {
        let mut p = Pointer::default();
        let down = p.scrolled(1.0);
        assert_eq!(
            down,
            [
                InputOp::Press {
                    button: MouseButton::Down,
                    mask: 0
                },
                InputOp::Release {
                    button: MouseButton::Down,
                    mask: 0
                }
            ]
        );
        assert_eq!(MouseButton::Up as i32, 4);
        assert_eq!(MouseButton::Down as i32, 5);
        assert!(p.scrolled(-0.5).is_empty());
        assert_eq!(p.scrolled(-0.5).len(), 2);
        assert_eq!(p.scrolled(1e9).len(), 20);
        assert!(p.scrolled(f64::NAN).is_empty());
    }
}
