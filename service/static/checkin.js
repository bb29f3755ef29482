// The door page (templates/manage/checkin.html): check people in by the QR code of their ticket
// (the camera, or a handheld scanner typing into a field) or by their name, and say at once
// green, orange or red, in words and with a sound. Several devices scan at the same time: the
// server decides (service/checkin/services.py), each answer brings the shared counter.
//
// When the network drops, the page goes on with the ticket list it downloaded (kept in
// localStorage): it checks codes against it, keeps the check-ins in a queue with their moment,
// and sends them when the network is back; the server keeps the earliest scan of a person.
//
// Every word shown comes from the page (#door-words), so that it is translated like the page.
(function () {
  "use strict";

  var root = document.getElementById("door");
  if (!root) { return; }

  var REPEAT_MS = 3000;   // the camera ignores a code seen again so soon: it is still held up
  var FRAME_MS = 200;     // about five frames a second: quick enough, and spares the battery
  var POLL_MS = 5000;     // the counter, and a new try to send what waits
  var LIST_MS = 60000;    // the ticket list, downloaded again
  var SYNC_BATCH = 500;   // the most scans the server takes in one sync
  var CODE = /^[A-Z2-7]{32}$/;  // a ticket: 32 characters of base32
  // A handheld scanner set for a QWERTY keyboard, plugged into a computer set for AZERTY, types
  // the keys of the digits unshifted, which AZERTY reads as these characters.
  var AZERTY_DIGITS = { "&": "1", "é": "2", "\"": "3", "'": "4", "(": "5", "-": "6", "è": "7",
                        "_": "8", "ç": "9", "à": "0" };
  // ... and some letters sit elsewhere (A and Q, Z and W swapped, M on the comma key): tried only
  // when it turns a code into a ticket of the downloaded list.
  var AZERTY_LETTERS = { "A": "Q", "Q": "A", "Z": "W", "W": "Z", ",": "M", "?": "M" };

  var data = root.dataset;
  var key = "convier.door." + data.event + ".";  // this event's things in localStorage
  var words = {};
  Array.prototype.forEach.call(document.querySelectorAll("#door-words [data-word]"), function (node) {
    words[node.getAttribute("data-word")] = node.textContent;
  });

  function $(id) { return document.getElementById(id); }

  // A sentence of the page with its {name}-like holes filled.
  function say(word, values) {
    return (words[word] || "").replace(/\{(\w+)\}/g, function (hole, name) {
      return values && values[name] !== undefined && values[name] !== null ? String(values[name]) : "";
    });
  }

  var clockFormat = new Intl.DateTimeFormat(data.lang || "fr", {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: data.timezone || "Europe/Paris"
  });
  function clock(moment) { return moment ? clockFormat.format(new Date(moment)) : ""; }
  function isoNow() { return new Date().toISOString().replace("Z", "+00:00"); }

  function load(name, fallback) {
    try {
      var text = localStorage.getItem(key + name);
      return text === null ? fallback : JSON.parse(text);
    } catch (error) { return fallback; }
  }
  function save(name, value) {
    try {
      if (value === null) { localStorage.removeItem(key + name); }
      else { localStorage.setItem(key + name, JSON.stringify(value)); }
    } catch (error) { /* storage full or refused: the page works on, without memory */ }
  }

  // --- This device's name, sent with each check-in and shown to the other devices.
  var deviceField = $("door-device");
  var DEVICE_KEY = "convier.door.device";
  function randomName() {
    var letters = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789", name = "";
    var bytes = window.crypto.getRandomValues(new Uint8Array(4));
    for (var i = 0; i < bytes.length; i++) { name += letters[bytes[i] % letters.length]; }
    return words.device_default + " " + name;
  }
  deviceField.value = localStorage.getItem(DEVICE_KEY) || randomName();
  localStorage.setItem(DEVICE_KEY, deviceField.value);
  deviceField.addEventListener("change", function () {
    var name = deviceField.value.trim();
    if (name) { localStorage.setItem(DEVICE_KEY, name); } else { deviceField.value = device(); }
  });
  function device() { return deviceField.value.trim() || localStorage.getItem(DEVICE_KEY); }

  // --- Talking to the server. A request that never got an answer (or a gateway's 502–504)
  // rejects with OFFLINE; a refusal with the problem details (RFC 9457) the server sent.
  var OFFLINE = { offline: true };
  function read(response) {
    if (response.status >= 502 && response.status <= 504) { throw OFFLINE; }
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("json") < 0) { throw { session: true }; }  // the sign-in page, most likely
    return response.json().then(function (body) {
      if (!response.ok) { throw { status: response.status, problem: body }; }
      return body;
    });
  }
  function request(url, body) {
    var options = { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.method = "POST";
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = data.csrf;
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).catch(function () { throw OFFLINE; }).then(read);
  }

  // --- The shared counter.
  function showCounts(counts) {
    if (!counts) { return; }
    $("door-inside").textContent = counts.inside;
    $("door-expected").textContent = counts.expected;
  }

  // --- Sound: a short tone per colour (WebAudio, no file). Browsers let a page sound only after
  // a tap or a key, so the context is made at the first one.
  var audio = null;
  function wakeAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return; }
    try {
      audio = audio || new Context();
      if (audio.state === "suspended") { audio.resume(); }
    } catch (error) { audio = null; }
  }
  document.addEventListener("pointerdown", wakeAudio);
  document.addEventListener("keydown", wakeAudio);
  var TONES = {  // [frequency in Hz, start, length in seconds]: rising, two flat, one low
    welcome: [[880, 0, 0.12], [1320, 0.12, 0.2]],
    already_in: [[600, 0, 0.15], [600, 0.25, 0.15]],
    refused: [[180, 0, 0.5]]
  };
  function beep(verdict) {
    if (!audio || !TONES[verdict]) { return; }
    try {
      var now = audio.currentTime;
      TONES[verdict].forEach(function (tone) {
        var oscillator = audio.createOscillator(), gain = audio.createGain();
        oscillator.type = verdict === "refused" ? "square" : "sine";
        oscillator.frequency.value = tone[0];
        gain.gain.setValueAtTime(0.2, now + tone[1]);
        gain.gain.exponentialRampToValueAtTime(0.001, now + tone[1] + tone[2]);
        oscillator.connect(gain);
        gain.connect(audio.destination);
        oscillator.start(now + tone[1]);
        oscillator.stop(now + tone[1] + tone[2]);
      });
    } catch (error) { /* no sound: the colour and the words remain */ }
  }

  // --- The result panel: green, orange, red (or grey for an undo), its word, the person.
  var ICONS = { idle: "▣", checking: "…", welcome: "✓", already_in: "!", refused: "✕", undone: "↺" };
  function refusalWords(answer) {
    var word = "refusal_" + answer.refusal;
    return words[word] !== undefined ? say(word, { time: listTime() }) : say("refusal_unknown");
  }
  function show(answer) {
    var verdict = answer.verdict;
    var detail = "";
    if (verdict === "welcome" && answer.offline) { detail = say("offline_welcome"); }
    if (verdict === "already_in") {
      detail = say("already_in_detail", { time: clock(answer.attended_at), device: answer.attended_by });
    }
    if (verdict === "refused") { detail = refusalWords(answer); }
    setPanel(verdict, say(verdict), answer.name, answer.organisation, detail);
    hideError();
    beep(verdict);
    $("door-result").scrollIntoView({ block: "nearest" });  // a phone scrolled to the camera
  }
  function setPanel(state, verdict, name, organisation, detail) {
    $("door-result").setAttribute("data-state", state);
    $("door-icon").textContent = ICONS[state] || "";
    $("door-verdict").textContent = verdict;
    $("door-name").textContent = name || "";
    $("door-organisation").textContent = organisation || "";
    $("door-detail").textContent = detail || "";
  }
  function showError(text) {
    $("door-error").textContent = text;
    $("door-error").hidden = false;
  }
  function hideError() { $("door-error").hidden = true; }
  function failure(error) {
    if (error.session) { return say("session"); }
    var problem = error.problem || {};
    return say("error", { detail: (problem.errors || []).join(" ; ") || problem.detail || error.status });
  }

  // --- The ticket list, for the name search and for checks while offline. The scans still
  // waiting to be sent were made after any list the server gave: they stay marked.
  var list = null;   // {generated_at, tickets: [...], byCode: {code: ticket}}
  function keepList(kept) {
    var byCode = {};
    kept.tickets.forEach(function (ticket) {
      ticket.key = fold(ticket.name + " " + (ticket.organisation || ""));
      byCode[ticket.code] = ticket;
    });
    load("queue", []).forEach(function (scan) {
      var ticket = byCode[scan.code];
      if (ticket && ticket.status === "confirmed") { attend(ticket, scan.scanned_at, device()); }
    });
    list = { generated_at: kept.generated_at, tickets: kept.tickets, byCode: byCode };
    storeList();
    search();
  }
  function storeList() {
    save("tickets", { generated_at: list.generated_at, tickets: list.tickets });
  }
  function attend(ticket, moment, by) {
    ticket.status = "attended";
    ticket.attended_at = moment;
    ticket.attended_by = by;
  }
  function refreshList() {
    return request(data.ticketsUrl).then(function (answer) {
      wentOnline();
      keepList(answer);
      showCounts(answer.counts);
    }, stayCalm);
  }
  function listTime() { return list ? clock(list.generated_at) : ""; }

  // What the server said of a person, written into the list (another device's list learns it
  // at its next download).
  function remember(answer) {
    if (!list || answer.registration_id === null || answer.registration_id === undefined) { return; }
    var ticket = list.tickets.find(function (each) { return each.id === answer.registration_id; });
    if (!ticket) { return; }
    if (answer.verdict === "welcome" || answer.verdict === "already_in") {
      attend(ticket, answer.attended_at, answer.attended_by);
    } else if (answer.verdict === "undone") {
      ticket.status = "confirmed";
      ticket.attended_at = null;
      ticket.attended_by = "";
    }
    storeList();
  }

  // --- A code, as typed by a scanner or a person: spaces dropped, AZERTY's digits mended,
  // upper case. Anything else (the old personal link in a QR code…) goes to the server as it
  // came, which says what it is.
  function mapped(text, table) {
    return Array.from(text).map(function (character) { return table[character] || character; }).join("");
  }
  function normalise(raw) {
    var code = mapped(raw.replace(/\s+/g, ""), AZERTY_DIGITS).toUpperCase();
    var moved = mapped(code, AZERTY_LETTERS);
    if (list && !list.byCode[code] && list.byCode[moved]) { return moved; }
    return CODE.test(code) ? code : raw.trim();
  }

  // --- Checking a person in: the server when it answers, the downloaded list when it does not.
  var last = null;   // this device's last check-in, for the undo: {id, code, name, queued}
  function checkIn(raw) {
    var code = normalise(raw);
    if (!code) { return Promise.resolve(); }
    setPanel("checking", say("checking"));
    if (navigator.onLine === false) {
      wentOffline();
      checkOffline(code);
      return Promise.resolve();
    }
    return request(data.scanUrl, { code: code, device: device() }).then(function (answer) {
      wentOnline();
      remember(answer);
      showCounts(answer.counts);
      if (answer.verdict === "welcome") { setLast({ id: answer.registration_id, code: code, name: answer.name }); }
      show(answer);
    }, function (error) {
      if (error.offline) { wentOffline(); checkOffline(code); return; }
      setPanel("idle", say("idle"));
      showError(failure(error));
    });
  }

  function checkOffline(code) {
    var ticket = list && list.byCode[code];
    var answer = { verdict: "refused", offline: true };
    if (!ticket) {
      answer.refusal = code.indexOf("/r/") >= 0 ? "personal_link"
        : !CODE.test(code) ? "not_a_ticket" : list ? "offline_unknown" : "unknown";
    } else {
      answer.name = ticket.name;
      answer.organisation = ticket.organisation;
      answer.registration_id = ticket.id;
      if (ticket.status === "confirmed") {
        var moment = isoNow();
        attend(ticket, moment, device());
        storeList();
        var queue = load("queue", []);
        queue.push({ code: code, scanned_at: moment });
        save("queue", queue);
        var inside = $("door-inside");
        inside.textContent = Number(inside.textContent) + 1;
        answer.verdict = "welcome";
        setLast({ id: ticket.id, code: code, name: ticket.name, queued: true });
      } else if (ticket.status === "attended") {
        answer.verdict = "already_in";
        answer.attended_at = ticket.attended_at;
        answer.attended_by = ticket.attended_by;
      } else {
        answer.refusal = ticket.status;  // cancelled, waitlisted, offered: the same words
      }
    }
    show(answer);
    showBanner();
  }

  // --- Undo of this device's last check-in: the server's, or a scan still in the queue.
  function setLast(check) {
    last = check;
    var button = $("door-undo");
    button.disabled = !check;
    button.textContent = check ? say("undo_named", { name: check.name }) : say("undo");
  }
  function undo() {
    if (!last) { return; }
    var check = last;
    var queue = load("queue", []);
    var waiting = check.queued ? queue.map(function (scan) { return scan.code; }).lastIndexOf(check.code) : -1;
    if (waiting >= 0) {
      queue.splice(waiting, 1);
      save("queue", queue);
      remember({ verdict: "undone", registration_id: check.id });
      var inside = $("door-inside");
      inside.textContent = Math.max(0, Number(inside.textContent) - 1);
      setLast(null);
      setPanel("undone", say("undone"), check.name);
      showBanner();
      return;
    }
    request(data.undoUrl, { registration_id: check.id }).then(function (answer) {
      wentOnline();
      remember(answer);
      showCounts(answer.counts);
      setLast(null);
      setPanel("undone", say("undone"), answer.name, answer.organisation);
      hideError();
    }, function (error) {
      if (error.offline) { wentOffline(); showError(say("undo_offline")); return; }
      setLast(null);  // not inside any more (undone elsewhere): nothing left to undo
      showError(failure(error));
    });
  }

  // --- Offline: the banner, the queue, and sending it when the network is back.
  var offlineSince = load("offline_since", null);
  var syncing = false;
  function wentOffline() {
    if (!offlineSince) {
      offlineSince = isoNow();
      save("offline_since", offlineSince);
    }
    showBanner();
  }
  function wentOnline() {
    if (offlineSince) {
      offlineSince = null;
      save("offline_since", null);
    }
    showBanner();
    if (load("queue", []).length) { sync(); }
  }
  function stayCalm(error) {  // a background request failed: only the network matters here
    if (error.offline) { wentOffline(); }
  }
  function showBanner() {
    var waiting = load("queue", []).length;
    var banner = $("door-offline");
    banner.hidden = !offlineSince && !waiting;
    banner.setAttribute("data-state", offlineSince ? "offline" : "sending");
    $("door-offline-since").textContent = offlineSince
      ? say("offline_since", { time: clock(offlineSince) }) : say("back_online");
    $("door-offline-queue").textContent = say("offline_queue", { count: waiting });
    $("door-offline-list").textContent = list ? say("offline_list", { time: listTime() }) : say("no_list");
  }

  function sync() {
    var queue = load("queue", []);
    if (syncing || !queue.length) { return Promise.resolve(); }
    syncing = true;
    var batch = queue.slice(0, SYNC_BATCH);
    return request(data.syncUrl, { device: device(), scans: batch }).then(function (answer) {
      // Scans made while this batch travelled were added behind it: they stay.
      save("queue", load("queue", []).slice(batch.length));
      if (last && last.queued) { last.queued = false; }
      answer.results.forEach(remember);
      showCounts(answer.counts);
      report(answer.results);
      syncing = false;
      wentOnline();
    }, function (error) {
      syncing = false;
      if (error.offline) { wentOffline(); } else { showError(failure(error)); }
    });
  }

  // What the server decided otherwise than this device: someone already let in by another
  // device (the earliest scan is kept), or refused meanwhile (cancelled since the list).
  function report(results) {
    var here = device();
    var lines = [];
    results.forEach(function (result) {
      if (result.verdict === "already_in" && result.attended_by !== here) {
        lines.push(say("conflict", { name: result.name, device: result.attended_by, time: clock(result.attended_at) }));
      } else if (result.verdict === "refused") {
        lines.push(say("late_refusal", { name: result.name, reason: refusalWords(result) }));
      }
    });
    if (!lines.length) { return; }
    var holder = $("door-conflicts-list");
    lines.forEach(function (line) {
      var item = document.createElement("li");
      item.textContent = line;
      holder.appendChild(item);
    });
    $("door-conflicts").hidden = false;
  }
  $("door-conflicts-close").addEventListener("click", function () {
    $("door-conflicts-list").textContent = "";
    $("door-conflicts").hidden = true;
  });

  // --- The field of handheld scanners (they type the code, then Enter).
  var codeField = $("door-code");
  $("door-code-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var raw = codeField.value;
    codeField.value = "";
    codeField.focus();
    checkIn(raw);
  });

  // --- Name search over the downloaded list, accents and case ignored.
  var SHOWN = 8;
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function stateWords(ticket) {
    if (ticket.status === "attended") { return say("state_attended", { time: clock(ticket.attended_at) }); }
    return ticket.status === "confirmed" ? "" : say("state_" + ticket.status);
  }
  function search() {
    var asked = fold($("door-search").value.trim());
    var holder = $("door-search-results");
    holder.textContent = "";
    if (asked.length < 2) { $("door-search-count").textContent = ""; return; }
    if (!list) { $("door-search-count").textContent = say("no_list"); return; }
    var parts = asked.split(/\s+/);
    var found = list.tickets.filter(function (ticket) {
      return parts.every(function (part) { return ticket.key.indexOf(part) >= 0; });
    });
    found.slice(0, SHOWN).forEach(function (ticket) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "door-person";
      button.setAttribute("data-state", ticket.status);
      var name = document.createElement("strong");
      name.textContent = ticket.name;
      button.appendChild(name);
      [ticket.organisation, stateWords(ticket)].forEach(function (text) {
        if (!text) { return; }
        var line = document.createElement("span");
        line.textContent = text;
        button.appendChild(line);
      });
      button.addEventListener("click", function () {
        checkIn(ticket.code).then(function () {
          $("door-search").value = "";
          search();
        });
      });
      item.appendChild(button);
      holder.appendChild(item);
    });
    $("door-search-count").textContent = say(found.length > SHOWN ? "found_more" : "found", { count: found.length });
  }
  $("door-search").addEventListener("input", search);

  // --- Walk-ins: register a person at the door, while seats remain.
  var walkIn = $("door-walk-in-form");
  function fieldError(name, text) {
    var field = $("door-walk-in-" + name + "-field"), input = $("door-walk-in-" + name);
    var message = $("door-walk-in-" + name + "-error");
    field.classList.toggle("invalid", !!text);
    message.textContent = text || "";
    message.hidden = !text;
    if (text) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", message.id);
    } else {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    }
  }
  function formError(text) {
    $("door-walk-in-error").textContent = text || "";
    $("door-walk-in-error").hidden = !text;
  }
  walkIn.addEventListener("submit", function (event) {
    event.preventDefault();
    fieldError("name", "");
    fieldError("email", "");
    formError("");
    var email = $("door-walk-in-email").value.trim();
    if (!email) {
      fieldError("email", say("walk_in_email"));
      $("door-walk-in-email").focus();
      return;
    }
    var body = { email: email, name: $("door-walk-in-name").value.trim(), device: device() };
    request(data.walkInUrl, body).then(function (answer) {
      wentOnline();
      walkIn.reset();
      showCounts(answer.counts);
      if (answer.verdict === "welcome") { setLast({ id: answer.registration_id, code: null, name: answer.name }); }
      refreshList();  // the newcomer's ticket, for the other devices and for offline
      show(answer);
    }, function (error) {
      if (error.offline) { wentOffline(); formError(say("walk_in_offline")); return; }
      var fields = ((error.problem || {}).errors || []).map(function (line) { return line.split(":")[0]; });
      if (fields.indexOf("email") >= 0) {
        fieldError("email", say("walk_in_email"));
        $("door-walk-in-email").focus();
      } else if (fields.indexOf("name") >= 0) {
        fieldError("name", say("walk_in_name"));
        $("door-walk-in-name").focus();
      } else if (fields.indexOf("capacity") >= 0) {
        formError(say("walk_in_full"));
      } else if (fields.indexOf("waitlist") >= 0) {
        formError(say("walk_in_waitlist"));
      } else {
        formError(failure(error));
      }
    });
  });

  // --- The camera: frames read a few times a second by the BarcodeDetector (the browser's own,
  // or the vendored one decoding with WebAssembly, from our copy of the .wasm, never a CDN).
  if (window.BarcodeDetectionAPI) {
    window.BarcodeDetectionAPI.setZXingModuleOverrides({
      locateFile: function (path) { return data.vendorUrl + path; }
    });
  }
  var video = $("door-video"), cameraButton = $("door-camera");
  var stream = null, detector = null, timer = 0;
  var seen = { code: null, at: 0 };   // the code last in view, and when
  var reading = false;                // a check-in of the camera's is under way
  function cameraSays(word) { $("door-camera-message").textContent = word ? say(word) : ""; }
  function startCamera() {
    var media = navigator.mediaDevices;
    if (!media || !media.getUserMedia || !window.BarcodeDetector) { cameraSays("camera_none"); return; }
    try {
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    } catch (error) { cameraSays("camera_broken"); return; }
    media.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (opened) {
      stream = opened;
      video.srcObject = stream;
      video.hidden = false;
      cameraButton.textContent = say("camera_on");
      cameraButton.setAttribute("aria-pressed", "true");
      cameraSays("camera_ready");
      return video.play();
    }).then(function () {
      timer = window.setTimeout(look, FRAME_MS);
    }, function (error) {
      stopCamera();
      cameraSays(error && error.name === "NotAllowedError" ? "camera_refused" : "camera_none");
    });
  }
  function stopCamera() {
    window.clearTimeout(timer);
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    cameraButton.textContent = say("camera_off");
    cameraButton.setAttribute("aria-pressed", "false");
    cameraSays("");
  }
  function look() {
    if (!stream) { return; }
    if (reading || video.readyState < 2) { timer = window.setTimeout(look, FRAME_MS); return; }
    detector.detect(video).then(function (codes) {
      var code = codes.length ? codes[0].rawValue : null;
      if (!code) { return null; }
      var now = Date.now();
      var again = code === seen.code && now - seen.at < REPEAT_MS;
      seen = { code: code, at: now };  // held in view, the code keeps being "just seen"
      if (again) { return null; }
      reading = true;
      return checkIn(code).then(function () {
        reading = false;
        seen.at = Date.now();
      });
    }).then(function () {
      if (stream) { timer = window.setTimeout(look, FRAME_MS); }
    }, function () {
      reading = false;
      stopCamera();
      cameraSays("camera_broken");
    });
  }
  cameraButton.addEventListener("click", function () {
    if (stream) { stopCamera(); } else { startCamera(); }
  });

  // "Next person": the panel cleared, and the camera may read the same code again at once.
  $("door-next").addEventListener("click", function () {
    seen = { code: null, at: 0 };
    setPanel("idle", say("idle"));
    hideError();
    codeField.focus();
  });
  $("door-undo").addEventListener("click", undo);

  // --- Start: the list kept from before (if the page is opened again offline), then a fresh
  // one; the counter polled; what waits sent when the network comes back.
  var kept = load("tickets", null);
  if (kept && kept.tickets) { keepList(kept); }
  showBanner();
  refreshList();
  window.addEventListener("online", function () { sync().then(refreshList); });
  window.addEventListener("offline", wentOffline);
  window.setInterval(function () {
    if (load("queue", []).length) { sync(); return; }
    request(data.countsUrl).then(function (counts) { wentOnline(); showCounts(counts); }, stayCalm);
  }, POLL_MS);
  window.setInterval(refreshList, LIST_MS);
})();
