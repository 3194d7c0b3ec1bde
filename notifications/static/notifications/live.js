/* Live notifications: the bell's unread count, toasts, and the open inbox, without reloading.
 *
 * Loaded once per tab (Hotwire Turbo keeps <head> scripts across visits); it re-reads the page
 * on every `turbo:load`. It talks to /ws/notifications/ (notifications/consumers.py):
 *   server → {"type": "hello"|"unread", "unread": n}
 *            {"type": "notification", "item": {...}, "unread": n}
 *            {"type": "sync", "items": [...], "more": bool, "unread": n}  (oldest first)
 *   client → {"action": "sync", "after": <highest id seen>}   (on every (re)connect, and
 *                                                             again while "more" is true)
 *            {"action": "read", "id": n}                      (a toast was opened)
 * Nothing is lost while offline: every (re)connect asks the server for what came after the
 * highest id this tab has seen (the page renders the newest id it knew of).
 * Strings come translated from data-i18n-* attributes rendered by the templates. Text from the
 * server is only ever set with textContent; links are followed only if they are local paths.
 * Does nothing on pages without the bell (anonymous users).
 */
(function () {
  "use strict";
  if (window.cadreflowNotifications) return;

  var MIN_DELAY = 1000;
  var MAX_DELAY = 30000;
  var TOAST_MS = 8000;
  var MAX_TOASTS = 3;

  var state = {
    socket: null,
    connected: false,
    path: null,
    lastId: 0, // highest notification id this tab knows of
    floor: 0, // ids up to this were already on the page when it was rendered
    unread: 0,
    attempts: 0,
    timer: null,
    paused: false,
    shown: {},
    pending: [], // items of a sync answered in several pages, until the last one
    received: [], // ids received live, in order (for tests)
  };

  function $(selector) {
    return document.querySelector(selector);
  }

  function bell() {
    return $("[data-notifications-bell]");
  }

  function i18n(node, key, fallback) {
    return (node && node.getAttribute("data-i18n-" + key)) || fallback;
  }

  function localLink(link) {
    if (typeof link !== "string" || link.charAt(0) !== "/") return "";
    var second = link.charAt(1);
    return second === "/" || second === "\\" ? "" : link;
  }

  // ------------------------------------------------------------------ badge

  function setUnread(count) {
    count = parseInt(count, 10);
    if (isNaN(count) || count < 0) return;
    state.unread = count;
    var node = bell();
    if (!node) return;
    var badge = node.querySelector("[data-notifications-count]");
    node.setAttribute("data-unread", String(count));
    node.classList.toggle("cf-bell--unread", count > 0);
    node.setAttribute(
      "aria-label",
      count > 0
        ? i18n(node, "label-unread", "{count}").replace("{count}", String(count))
        : i18n(node, "label", "")
    );
    if (badge) {
      badge.textContent = count > 99 ? "99+" : String(count);
      badge.hidden = count === 0;
    }
    document.querySelectorAll("[data-notifications-if-unread]").forEach(function (node) {
      node.hidden = count === 0;
    });
  }

  // ------------------------------------------------------------------ toasts

  function toastBox() {
    return $("[data-notifications-toasts]");
  }

  function dismiss(toast) {
    if (toast && toast.parentNode) toast.parentNode.removeChild(toast);
  }

  function addToast(title, body, href, id) {
    var box = toastBox();
    if (!box) return null;
    while (box.children.length >= MAX_TOASTS) dismiss(box.firstElementChild);
    var toast = document.createElement("div");
    toast.className = "cf-toast";
    // The container is the aria-live region: the toast itself needs no role of its own.
    toast.setAttribute("data-testid", "toast");
    if (id) toast.setAttribute("data-notification-id", String(id));

    var link = document.createElement("a");
    link.className = "cf-toast__link";
    link.href = href;
    var strong = document.createElement("strong");
    strong.className = "cf-toast__title";
    strong.setAttribute("data-testid", "toast-title");
    strong.textContent = title;
    link.appendChild(strong);
    if (body) {
      var span = document.createElement("span");
      span.className = "cf-toast__body";
      span.textContent = body;
      link.appendChild(span);
    }
    if (id) {
      link.addEventListener("click", function () {
        send({ action: "read", id: id });
        dismiss(toast);
      });
    }
    toast.appendChild(link);

    var close = document.createElement("button");
    close.type = "button";
    close.className = "cf-toast__close";
    close.setAttribute("aria-label", i18n(box, "dismiss", "×"));
    close.setAttribute("data-testid", "toast-dismiss");
    close.textContent = "×";
    close.addEventListener("click", function () {
      dismiss(toast);
    });
    toast.appendChild(close);

    box.appendChild(toast);
    setTimeout(function () {
      dismiss(toast);
    }, TOAST_MS);
    return toast;
  }

  function inboxUrl() {
    var node = bell();
    return (node && node.getAttribute("href")) || "/notifications/";
  }

  // ------------------------------------------------------------------ inbox page

  function prepend(item) {
    var list = $("[data-notifications-list]");
    var template = $("template[data-notification-template]");
    if (!list || !template) return;
    if (list.querySelector('[data-notification-id="' + item.id + '"]')) return;
    var li = template.content.firstElementChild.cloneNode(true);
    li.setAttribute("data-notification-id", String(item.id));
    li.setAttribute("data-testid", "notification-" + item.id);
    var form = li.querySelector("form");
    if (form) {
      form.setAttribute("action", form.getAttribute("action").replace("/0/", "/" + item.id + "/"));
    }
    var open = li.querySelector("button[type=submit]");
    if (open) open.setAttribute("data-testid", "open-" + item.id);
    var fields = { title: item.title || "", body: item.body || "" };
    Object.keys(fields).forEach(function (key) {
      var node = li.querySelector('[data-field="' + key + '"]');
      if (node) node.textContent = fields[key];
    });
    var time = li.querySelector('[data-field="created"]');
    if (time && item.created) {
      time.setAttribute("datetime", item.created);
      var moment = new Date(item.created);
      if (!isNaN(moment.getTime())) time.title = moment.toLocaleString(document.documentElement.lang || undefined);
    }
    list.insertBefore(li, list.firstChild);
    var empty = $("[data-notifications-empty]");
    if (empty) empty.hidden = true;
  }

  // ------------------------------------------------------------------ messages

  function receive(items) {
    var fresh = [];
    (items || []).forEach(function (item) {
      if (!item || typeof item.id !== "number") return;
      if (item.id > state.lastId) state.lastId = item.id;
      if (item.id <= state.floor || state.shown[item.id]) return;
      state.shown[item.id] = true;
      fresh.push(item);
    });
    if (!fresh.length) return;
    fresh.sort(function (a, b) {
      return a.id - b.id;
    });
    fresh.forEach(function (item) {
      state.received.push(item.id);
      prepend(item);
    });
    if (fresh.length > MAX_TOASTS) {
      var box = toastBox();
      addToast(
        i18n(box, "missed", "{count}").replace("{count}", String(fresh.length)),
        "",
        inboxUrl(),
        null
      );
    } else {
      fresh.forEach(function (item) {
        addToast(item.title || "", item.body || "", localLink(item.link) || inboxUrl(), item.id);
      });
    }
  }

  function handle(message) {
    if (!message || typeof message !== "object") return;
    switch (message.type) {
      case "hello":
      case "unread":
        setUnread(message.unread);
        break;
      case "notification":
        receive([message.item]);
        setUnread(message.unread);
        break;
      case "sync":
        // A long absence comes in pages ("more": true): ask for the next one, and show it
        // all (one summary toast) once the last page is in.
        var items = state.pending.concat(message.items || []);
        if (message.more && items.length) {
          state.pending = items;
          items.forEach(function (item) {
            if (item && typeof item.id === "number" && item.id > state.lastId) state.lastId = item.id;
          });
          send({ action: "sync", after: state.lastId });
          break;
        }
        state.pending = [];
        receive(items);
        setUnread(message.unread);
        break;
      default:
        break;
    }
  }

  // ------------------------------------------------------------------ socket

  function send(message) {
    var socket = state.socket;
    if (socket && socket.readyState === 1) socket.send(JSON.stringify(message));
  }

  function socketUrl() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + state.path;
  }

  function schedule() {
    if (state.paused || !state.path || state.timer) return;
    var delay = Math.min(MAX_DELAY, MIN_DELAY * Math.pow(2, state.attempts));
    state.attempts += 1;
    state.timer = setTimeout(function () {
      state.timer = null;
      connect();
    }, delay);
  }

  function connect() {
    if (state.socket || state.paused || !state.path) return;
    var socket;
    try {
      socket = new WebSocket(socketUrl());
    } catch (error) {
      schedule();
      return;
    }
    state.socket = socket;
    socket.onopen = function () {
      if (state.socket !== socket) return;
      state.connected = true;
      state.attempts = 0;
      // Whatever arrived since the page was rendered or the last connection dropped.
      socket.send(JSON.stringify({ action: "sync", after: state.lastId }));
    };
    socket.onmessage = function (event) {
      if (state.socket !== socket) return;
      var message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      handle(message);
    };
    socket.onclose = function () {
      if (state.socket !== socket) return;
      state.socket = null;
      state.connected = false;
      schedule();
    };
  }

  function disconnect() {
    if (state.timer) {
      clearTimeout(state.timer);
      state.timer = null;
    }
    var socket = state.socket;
    state.socket = null;
    state.connected = false;
    if (socket) {
      socket.onclose = null;
      socket.close();
    }
  }

  function reconnectNow() {
    if (state.paused || !state.path) return;
    if (state.timer) {
      clearTimeout(state.timer);
      state.timer = null;
    }
    state.attempts = 0;
    connect();
  }

  // ------------------------------------------------------------------ page life

  function init() {
    var node = bell();
    if (!node) {
      // Logged out (or a page without navigation): stay quiet.
      state.path = null;
      disconnect();
      return;
    }
    state.path = node.getAttribute("data-ws-path") || "/ws/notifications/";
    var rendered = parseInt(node.getAttribute("data-last-id"), 10) || 0;
    if (rendered > state.floor) state.floor = rendered;
    if (rendered > state.lastId) state.lastId = rendered;
    setUnread(node.getAttribute("data-unread"));
    if (state.connected) send({ action: "sync", after: state.lastId });
    else connect();
  }

  window.cadreflowNotifications = {
    get socket() {
      return state.socket;
    },
    get connected() {
      return state.connected;
    },
    get lastId() {
      return state.lastId;
    },
    get unread() {
      return state.unread;
    },
    get received() {
      return state.received.slice();
    },
    /** Close the socket and stay offline until resume() (tests; a page going to sleep). */
    pause: function () {
      state.paused = true;
      disconnect();
    },
    resume: function () {
      state.paused = false;
      reconnectNow();
    },
    reconnect: reconnectNow,
  };

  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && !state.socket) reconnectNow();
  });
  document.addEventListener("turbo:load", init);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
