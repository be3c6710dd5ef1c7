"""Drive a GTK 4 app through its accessibility tree, as a person (or a screen reader) would.

Runs inside the session that run.sh sets up: Xvfb, a private D-Bus session bus (the AT-SPI
bus is activated on it when the app starts) and no window manager, so every top-level
window sits at (0, 0) and window coordinates are screen coordinates.

Facts about GTK 4.8's AT-SPI implementation that shape these helpers:
- Component.GrabFocus and screen coordinates are not implemented: to focus a widget we
  click its centre with xdotool, using extents in window coordinates.
- Buttons have one action, "click"; list rows expose the Action interface with no action,
  so rows are activated with a pointer click.
- Text.getText(0, -1) returns "" on entries: read up to characterCount instead.
- Labels: the accessible name is the label text.
- Only the top-level window carries STATE_SHOWING, and the children of a hidden stack
  page keep VISIBLE and their old extents. What a user can see is decided by hit-testing
  instead (on_screen): the widget GTK picks at a candidate's centre must be that
  candidate, inside it, or around it.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time

import pyatspi

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
APP_BIN = os.environ.get("KVM_MANAGER_BIN", os.path.join(REPO, "target", "debug", "kvm-manager"))
FIXTURES = os.path.join(REPO, "tests", "fixtures")
DEFAULT_TIMEOUT = float(os.environ.get("UI_TIMEOUT", "10"))

# Roles that mean "a text field": GtkEntry/GtkText report "text", GtkSearchEntry "entry".
ENTRY = ("text", "entry")

# Apps started by the current test; the runner kills them whatever happens.
LIVE_APPS = []


class Skip(Exception):
    """Raised by a test that cannot run here yet; the reason is printed, nothing fails."""


class UiError(AssertionError):
    """A check on the UI failed; the message says what was expected and what was seen."""


def wait_for(predicate, timeout=DEFAULT_TIMEOUT, message="condition", interval=0.1):
    """Poll predicate() until it returns something truthy; return that, or raise UiError."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # the tree changes under us while we read it
            last_error = e
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise UiError(f"timed out after {timeout:.0f}s waiting for {message}{detail}")
        time.sleep(interval)


def _safe(fn, default=None):
    try:
        return fn()
    except Exception:
        return default


def role_of(acc):
    return _safe(acc.getRoleName, "")


def name_of(acc):
    return _safe(lambda: acc.name, "") or ""


def states_of(acc):
    return set(_safe(lambda: acc.getState().getStates(), []))


def is_checked(acc):
    """A check box, switch or toggle that is on."""
    return pyatspi.STATE_CHECKED in states_of(acc) or pyatspi.STATE_PRESSED in states_of(acc)


def is_showing(acc):
    """Not hidden (see the module doc: this alone does not mean on screen)."""
    states = states_of(acc)
    return pyatspi.STATE_VISIBLE in states or pyatspi.STATE_SHOWING in states


def _ancestors(acc, limit=80):
    node = _safe(lambda: acc.parent)
    while node is not None and limit:
        yield node
        node = _safe(lambda n=node: n.parent)
        limit -= 1


def toplevel(acc):
    """The window, dialog or frame that holds `acc` (the child of the application)."""
    node = acc
    for parent in _ancestors(acc):
        if role_of(parent) == "application":
            return node
        node = parent
    return None


def on_screen(acc, window):
    """Whether a user can see acc in window: it has a size and is what GTK picks at its
    centre (or contains or is contained by it). Unknown answers count as visible."""
    comp = _safe(acc.queryComponent)
    if comp is None:
        return True
    x, y, w, h = _safe(lambda: comp.getExtents(pyatspi.WINDOW_COORDS), (0, 0, 1, 1))
    if w <= 0 or h <= 0:
        return False
    wcomp = _safe(window.queryComponent)
    hit = _safe(lambda: wcomp.getAccessibleAtPoint(x + w // 2, y + h // 2, pyatspi.WINDOW_COORDS))
    if hit is None or hit == acc:
        return True
    if any(a == acc for a in _ancestors(hit)):
        return True
    return any(a == hit for a in _ancestors(acc))


def is_sensitive(acc):
    return pyatspi.STATE_SENSITIVE in states_of(acc)


def children(acc):
    count = _safe(lambda: acc.childCount, 0)
    for i in range(count):
        child = _safe(lambda i=i: acc.getChildAtIndex(i))
        if child is not None:
            yield child


def walk(acc, showing_only=True, max_depth=60):
    """Every accessible under acc (depth first). Hidden subtrees are skipped by default:
    stack pages that are not visible are still in GTK's tree but a user cannot see them."""
    stack = [(acc, 0)]
    while stack:
        node, depth = stack.pop()
        yield node
        if depth >= max_depth:
            continue
        kids = [c for c in children(node) if not showing_only or is_showing(c)]
        stack.extend((c, depth + 1) for c in reversed(kids))


def _matches(value, pattern):
    if pattern is None:
        return True
    if callable(pattern):
        return bool(pattern(value))
    if isinstance(pattern, re.Pattern):
        return bool(pattern.search(value))
    return value == pattern


def _role_matches(acc, role):
    if role is None:
        return True
    if isinstance(role, (tuple, list, set)):
        return role_of(acc) in role
    return role_of(acc) == role


def describe(role=None, name=None):
    parts = []
    if role:
        parts.append(f"role={role!r}")
    if name is not None:
        parts.append(f"name={getattr(name, 'pattern', name)!r}")
    return " ".join(parts) or "any accessible"


def text_of(acc):
    """What the user reads on a widget: its Text contents, else its accessible name."""
    text = _safe(acc.queryText)
    if text is not None:
        count = _safe(lambda: text.characterCount, 0)
        if count:
            return text.getText(0, count)
    return name_of(acc)


def dump(acc, showing_only=True, max_lines=400):
    """The tree under acc as indented 'role "name"' lines (for failure messages)."""
    lines = []

    def rec(node, depth):
        if len(lines) >= max_lines:
            return
        lines.append("  " * depth + f'{role_of(node)} "{name_of(node)}"')
        for c in children(node):
            if not showing_only or is_showing(c):
                rec(c, depth + 1)

    rec(acc, 0)
    return "\n".join(lines)


def run(argv, check=True, timeout=30):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise UiError(f"{' '.join(argv)} failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout


_display_ready = False


def wait_for_display(timeout=15):
    """Xvfb may still be starting when the first app is launched on a busy machine: wait
    until the X server answers, once per run."""
    global _display_ready
    if not _display_ready:
        wait_for(lambda: subprocess.run(["xdotool", "getdisplaygeometry"], capture_output=True)
                 .returncode == 0, timeout, f"the X server {os.environ.get('DISPLAY')}")
        _display_ready = True


class App:
    """One running instance of an app under test, found in the AT-SPI desktop by its PID."""

    def __init__(self, argv=None, uri=None, env=None, timeout=30, name="kvm-manager"):
        wait_for_display()
        if argv is None:
            if not os.access(APP_BIN, os.X_OK):
                raise UiError(f"{APP_BIN} does not exist: run `cargo build` first")
            argv = [APP_BIN] + (["--connect", uri] if uri else [])
        self.argv = argv
        self.name = name
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.log = tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(argv, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        LIVE_APPS.append(self)
        self.started = time.monotonic()
        self.root = None
        try:
            self.root = wait_for(self._find_app, timeout, f"{name} to appear on the AT-SPI bus")
            self.window = wait_for(self._find_window, timeout, f"{name}'s window")
        except UiError as e:
            raise UiError(f"{e}\n--- {name} output ---\n{self.output()}") from None

    def _find_app(self):
        if self.proc.poll() is not None:
            raise UiError(f"{self.name} exited with status {self.proc.returncode}\n"
                          f"--- {self.name} output ---\n{self.output()}")
        desktop = pyatspi.Registry.getDesktop(0)
        for app in children(desktop):
            if _safe(app.get_process_id) == self.proc.pid:
                return app
        return None

    def _find_window(self):
        for child in children(self.root):
            if role_of(child) in ("frame", "window", "dialog") and is_showing(child):
                return child
        return None

    def output(self, tail=4000):
        try:
            with open(self.log.name, errors="replace") as f:
                return f.read()[-tail:]
        except OSError:
            return ""

    # --- finding -------------------------------------------------------------------------

    def windows(self):
        return [c for c in children(self.root) if is_showing(c)]

    def find_all(self, role=None, name=None, root=None, showing_only=True):
        roots = [root] if root is not None else self.windows()
        found = []
        for r in roots:
            for node in walk(r, showing_only):
                if _role_matches(node, role) and _matches(name_of(node), name):
                    if not showing_only or on_screen(node, r):
                        found.append(node)
        return found

    def find(self, role=None, name=None, root=None, timeout=DEFAULT_TIMEOUT, showing_only=True):
        """The first accessible with this role and name (exact string, compiled regex or
        predicate), polling until it shows up."""
        try:
            return wait_for(lambda: next(iter(self.find_all(role, name, root, showing_only)), None),
                            timeout, describe(role, name))
        except UiError as e:
            raise UiError(f"{e}\n--- visible tree ---\n{self.dump()}") from None

    def absent(self, role=None, name=None, root=None, timeout=DEFAULT_TIMEOUT):
        """Wait until nothing visible matches (a dialog closed, a row filtered out)."""
        wait_for(lambda: not self.find_all(role, name, root), timeout,
                 f"{describe(role, name)} to disappear")

    def dump(self):
        return "\n".join(dump(w) for w in self.windows())

    # --- acting --------------------------------------------------------------------------

    def click(self, acc):
        """Press a widget: its AT-SPI action when it has one, else a pointer click."""
        action = _safe(acc.queryAction)
        n = _safe(lambda: action.nActions, 0) if action is not None else 0
        if n:
            names = [action.getName(i) for i in range(n)]
            index = next((i for i, a in enumerate(names) if a in ("click", "activate", "press")), 0)
            if action.doAction(index):
                return
        self.pointer_click(acc)

    def scroll_into_view(self, acc, limit=40):
        """Scroll the wheel over the widget's scrolled area until it is on screen, as a
        person scrolls to a row below the fold."""
        top = toplevel(acc)
        if top is None:
            return
        _, _, _, win_h = top.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
        pane = next((a for a in _ancestors(acc) if role_of(a) == "scroll pane"), None)
        if pane is None:
            return
        wid = self.x_window_of(acc)
        ox, oy = self.window_origin(wid)
        px, py, pw, ph = pane.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
        view_top, view_bottom = max(py, 0), min(py + ph, win_h)
        last, stuck = None, 0
        for _ in range(limit):
            _, y, _, h = acc.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
            if y >= view_top and y + h <= view_bottom:
                return
            # The pane cannot scroll further (the widget is as far in view as it gets,
            # e.g. taller than the window): stop instead of wheeling on for nothing.
            stuck = stuck + 1 if y == last else 0
            if stuck >= 2:
                return
            last = y
            wheel = "5" if y + h > view_bottom else "4"
            move_and_click(ox + px + pw // 2, oy + (view_top + view_bottom) // 2, wheel)
            time.sleep(0.05)

    def pointer_click(self, acc, button=1):
        self.scroll_into_view(acc)
        x, y = self.center(acc)
        move_and_click(x, y, button)
        # Keys go where the user last clicked (a dialog is its own X window, and there is
        # no window manager to move the focus there).
        self.clicked_window = self.x_window_of(acc)

    def x_window_of(self, acc):
        """The X window of the toplevel (window or dialog) that holds `acc`, by title;
        the main window when that is unknown."""
        top = toplevel(acc)
        title = name_of(top) if top is not None else ""
        if title:
            for wid in self.window_ids():
                if run(["xdotool", "getwindowname", wid], check=False).strip() == title:
                    return wid
        return self.main_window_id()

    def center(self, acc):
        comp = acc.queryComponent()
        x, y, w, h = comp.getExtents(pyatspi.WINDOW_COORDS)
        if w <= 0 or h <= 0:
            raise UiError(f"{role_of(acc)} {name_of(acc)!r} has no size on screen")
        ox, oy = self.window_origin(self.x_window_of(acc))
        return ox + x + w // 2, oy + y + h // 2

    def type_into(self, entry, text, replace=True, check=True):
        """Type text into an entry as a user would: focus it, then keystrokes."""
        self.pointer_click(entry)
        self.focus_window()
        if replace:
            self.key("ctrl+a", "BackSpace")
        run(["xdotool", "type", "--delay", "15", "--", text])
        if check:
            expected = text if replace else None
            wait_for(lambda: expected is None or text_of_entry(entry) == expected, 5,
                     f"entry to contain {text!r} (it has {text_of_entry(entry)!r})")

    def set_text(self, entry, text):
        """Replace an entry's contents through EditableText (no keystrokes)."""
        entry.queryEditableText().setTextContents(text)

    def key(self, *keys):
        """Key presses to the focused widget, in xdotool syntax: 'Tab', 'ctrl+f', 'Return'."""
        self.focus_window()
        run(["xdotool", "key", "--clearmodifiers", "--delay", "40", *keys])

    # --- X11 window ----------------------------------------------------------------------

    def window_ids(self):
        out = run(["xdotool", "search", "--onlyvisible", "--pid", str(self.proc.pid)], check=False)
        return [w for w in out.split()]

    def main_window_id(self):
        ids = wait_for(self.window_ids, DEFAULT_TIMEOUT, "an X11 window of the app")
        return ids[0]

    def window_origin(self, wid=None):
        out = run(["xdotool", "getwindowgeometry", "--shell", wid or self.main_window_id()])
        vals = dict(line.split("=", 1) for line in out.split() if "=" in line)
        return int(vals.get("X", 0)), int(vals.get("Y", 0))

    def focus_titled(self, title, timeout=DEFAULT_TIMEOUT):
        """Give the keyboard focus to the app's window with this title (a dialog the user
        would now type into); later keys go there."""
        def find():
            for wid in self.window_ids():
                if run(["xdotool", "getwindowname", wid], check=False).strip() == title:
                    return wid
            return None
        self.clicked_window = wait_for(find, timeout, f"a window titled {title!r}")
        self.focus_window()

    def focus_window(self):
        # No window manager: give the X input focus to the app's window ourselves: the one
        # last clicked while it is still open, else the main window.
        wid = getattr(self, "clicked_window", None)
        if not wid or wid not in self.window_ids():
            wid = self.main_window_id()
        run(["xdotool", "windowfocus", "--sync", wid], check=False)

    def resize(self, width, height):
        wid = self.main_window_id()
        run(["xdotool", "windowsize", wid, str(width), str(height)], check=False)

        def size():
            out = run(["xdotool", "getwindowgeometry", "--shell", wid])
            vals = dict(line.split("=", 1) for line in out.split() if "=" in line)
            return int(vals.get("WIDTH", 0)), int(vals.get("HEIGHT", 0))

        # The app may refuse sizes below its minimum: then it keeps the smallest it allows.
        wait_for(lambda: size()[0] <= max(width, 360) + 80, 5,
                 f"window width {width} (it is {size()[0]})")
        time.sleep(0.3)  # let the layout settle (adaptive widgets fold on the next frame)

    def screenshot(self, path, whole_screen=False):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        target = "root" if whole_screen else self.main_window_id()
        run(["import", "-window", target, path])
        return path

    # --- ending --------------------------------------------------------------------------

    def quit(self, timeout=5):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self in LIVE_APPS:
            LIVE_APPS.remove(self)
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.quit()


def move_and_click(x, y, button):
    """Move the pointer to (x, y) and click. `mousemove --sync` waits for the pointer to
    move, which never happens when it is there already (xdotool then blocks ~15 s); so
    then it first steps one pixel aside (a window that opened under a still pointer only
    learns where the pointer is from a motion)."""
    out = run(["xdotool", "getmouselocation", "--shell"], check=False)
    here = dict(line.split("=", 1) for line in out.split() if "=" in line)
    if (here.get("X"), here.get("Y")) == (str(x), str(y)):
        run(["xdotool", "mousemove", "--sync", str(x + 1), str(y)])
    run(["xdotool", "mousemove", "--sync", str(x), str(y), "click", str(button)])


def row_titled(app, title, timeout=10):
    """A list row whose accessible name starts with `title` (adwaita rows are named by
    their title, then their subtitle)."""
    return app.find("list item", re.compile("^" + re.escape(title) + r"\b"), timeout=timeout)


def dialog_button(app, label, timeout=10):
    """A button of a dialog or secondary window (not the main window's). GTK 4.8's own
    dialogs (the file chooser) name their buttons twice ("Import Import")."""
    name = re.compile("^" + re.escape(label) + "( " + re.escape(label) + ")?$")
    return wait_for(
        lambda: next((b for b in app.find_all("push button", name)
                      if toplevel(b) != app.window), None), timeout, f"dialog button {label!r}")


def menu_item(app, menu, item):
    """Open a menu button by its name and activate one of its items."""
    before = len(app.window_ids())
    app.pointer_click(app.find(name=menu))
    wait_for(lambda: len(app.window_ids()) > before, 5, f"the {menu!r} popover")
    app.click(app.find(name=item, showing_only=False))


def text_of_entry(entry):
    text = entry.queryText()
    return text.getText(0, text.characterCount)


def kill_all():
    for app in list(LIVE_APPS):
        app.quit()


def screenshot_screen(path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if shutil.which("import"):
        run(["import", "-window", "root", path], check=False)
    return path
