/* Ruji participant and proctor pages: progressive enhancement only, ES5 (runs on old Chrome).
 * Every page works without this file. Here: autosave with a retry queue, the countdown,
 * the heartbeat, font size, the login button while a login is processed, and the proctor
 * dashboard's live refresh. */
(function () {
  'use strict';

  function $(id) { return document.getElementById(id); }

  function xhr(method, url, body, done) {
    var r = new XMLHttpRequest();
    r.open(method, url, true);
    r.setRequestHeader('Content-Type', 'application/json');
    r.setRequestHeader('Accept', 'application/json');
    r.timeout = 15000;
    r.onreadystatechange = function () {
      if (r.readyState !== 4) { return; }
      var data = null;
      try { data = JSON.parse(r.responseText); } catch (e) { data = null; }
      done(r.status, data);
    };
    r.send(body === null ? null : JSON.stringify(body));
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function hms(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    return pad(Math.floor(s / 3600)) + ':' + pad(Math.floor(s / 60) % 60) + ':' + pad(s % 60);
  }

  /* ---- countdown (item page and finish page) ---- */
  function startTimer(el, remainingMs, onZero, warningMs) {
    if (!el || !(remainingMs > 0)) { return null; }
    var deadline = new Date().getTime() + remainingMs;
    var warned = false;
    function tick() {
      var left = deadline - new Date().getTime();
      el.innerHTML = hms(left);
      var w = $('warning');
      if (w && warningMs > 0 && left <= warningMs && !warned) { warned = true; w.hidden = false; w.style.display = ''; }
      if (left <= 0) { clearInterval(h); onZero(); }
    }
    var h = setInterval(tick, 1000);
    tick();
    return { resync: function (ms) { deadline = new Date().getTime() + ms; } };
  }

  /* ---- item page ---- */
  function itemPage(form) {
    var T = window.RUJI_TEXT || {};
    var itemId = form.getAttribute('data-item');
    var testId = form.getAttribute('data-test');
    var kind = form.getAttribute('data-kind');
    var n = parseInt(form.getAttribute('data-n'), 10);
    var total = parseInt(form.getAttribute('data-total'), 10);
    var rev = parseInt(form.getAttribute('data-rev'), 10) || 0;
    var stateEl = $('save-state');
    var store = window.sessionStorage;
    var queue = {};          /* item id -> {response, doubtful, rev} awaiting acknowledgement */
    var sending = false, failures = 0, dirty = false, afterFlush = null, textTimer = null, leaving = false;
    var timedPractice = form.getAttribute('data-practice') === 'timed';

    try { queue = JSON.parse(store.getItem('ruji_pending') || '{}') || {}; } catch (e) { queue = {}; }
    /* The server is the source of truth: a queued revision older than the page's is done;
     * a newer one (not yet acknowledged) is what the participant last chose: show it. */
    if (queue[itemId] && queue[itemId].rev <= rev) { delete queue[itemId]; }
    if (queue[itemId]) { rev = queue[itemId].rev; applyToForm(queue[itemId]); }

    function show(text, cls) { if (stateEl) { stateEl.innerHTML = text; stateEl.className = 'save-state ' + cls; } }
    function persist() { try { store.setItem('ruji_pending', JSON.stringify(queue)); } catch (e) {} }
    function pendingCount() { var c = 0; for (var k in queue) { if (queue.hasOwnProperty(k)) { c++; } } return c; }

    function collect() {
      var els = form.elements, i, el;
      var doubtful = false, v = null;
      var tf = [], pairs = [], choices = [];
      for (i = 0; i < els.length; i++) {
        el = els[i];
        if (el.name === 'doubtful') { doubtful = el.checked; continue; }
        if (kind === 'multiple_choice' && el.name === 'choice' && el.checked) { v = { choice: el.value }; }
        if (kind === 'multiple_response' && el.name === 'choices' && el.checked) { choices.push(el.value); }
        if (kind === 'true_false' && el.name.indexOf('tf') === 0) {
          var idx = parseInt(el.name.substring(2), 10);
          while (tf.length <= idx) { tf.push(null); }
          if (el.checked) { tf[idx] = el.value === 'true'; }
        }
        if (kind === 'matching' && el.name.indexOf('m_') === 0 && el.value) { pairs.push([el.name.substring(2), el.value]); }
        if ((kind === 'short_answer' || kind === 'essay') && el.name === 'text') { v = { text: el.value }; }
      }
      if (kind === 'multiple_response' && choices.length) { v = { choices: choices }; }
      if (kind === 'true_false') {
        var any = false;
        for (i = 0; i < tf.length; i++) { if (tf[i] !== null) { any = true; } }
        if (any) { v = { true_false: tf }; }
      }
      if (kind === 'matching' && pairs.length) { v = { matching: pairs }; }
      return { response: v, doubtful: doubtful };
    }

    function applyToForm(a) {
      var els = form.elements, i, el, r = a.response || {};
      for (i = 0; i < els.length; i++) {
        el = els[i];
        if (el.name === 'doubtful') { el.checked = !!a.doubtful; }
        else if (el.name === 'choice') { el.checked = r.choice === el.value; }
        else if (el.name === 'choices') { el.checked = !!r.choices && r.choices.indexOf(el.value) >= 0; }
        else if (el.name.indexOf('tf') === 0 && el.type === 'radio') {
          var v = r.true_false ? r.true_false[parseInt(el.name.substring(2), 10)] : null;
          el.checked = v !== null && v !== undefined && String(v) === el.value;
        } else if (el.name.indexOf('m_') === 0) {
          var sel = '';
          for (var p = 0; r.matching && p < r.matching.length; p++) { if (r.matching[p][0] === el.name.substring(2)) { sel = r.matching[p][1]; } }
          el.value = sel;
        } else if (el.name === 'text') { el.value = r.text !== undefined ? r.text : ''; }
      }
    }

    function ended(reason) {
      leaving = true;
      window.location.href = '/done?r=' + (reason || 'finished');
    }

    function markGrid(answer) {
      var cells = form.querySelectorAll('.navgrid .cell');
      var c = cells[n - 1];
      if (!c) { return; }
      var answered = answer.response !== null && !(answer.response.text !== undefined && /^\s*$/.test(answer.response.text));
      c.className = 'cell current ' + (answer.doubtful ? 'doubtful' : (answered ? 'answered' : 'unanswered'));
    }

    function enqueue() {
      dirty = false;
      var a = collect();
      rev += 1;
      a.rev = rev;
      queue[itemId] = a;
      persist();
      markGrid(a);
      pump();
    }

    function pump() {
      if (sending) { return; }
      var id = null;
      for (var k in queue) { if (queue.hasOwnProperty(k)) { id = k; break; } }
      if (id === null) {
        if (afterFlush) { var f = afterFlush; afterFlush = null; f(); }
        return;
      }
      var a = queue[id];
      sending = true;
      show(T.saving || '...', 'saving');
      xhr('PUT', '/api/v1/answers/' + encodeURIComponent(id), a, function (status, data) {
        sending = false;
        if (status === 200) {
          failures = 0;
          if (queue[id] && queue[id].rev === a.rev) { delete queue[id]; }
          persist();
          if (data && typeof data.remaining_ms === 'number' && timer && !timedPractice) { timer.resync(data.remaining_ms); }
          show(T.saved || 'OK', 'saved');
          pump();
        } else if (status === 0 || status >= 500 || status === 408) {
          /* The LAN dropped or the server is busy: keep the answer and try again. */
          failures++;
          show((T.retry || 'retry') + (data && data.message ? ' (' + data.message + ')' : ''), 'retry');
          setTimeout(pump, Math.min(10000, 1000 * failures));
        } else if (status === 401) {
          /* Logged out (reset by the proctor): keep the answer in this browser; it is sent
           * again once the participant is back in the test. */
          leaving = true;
          window.location.href = '/?e=' + (data && data.error ? data.error : 'logged_out');
        } else if (id !== itemId) {
          /* Left over from another page whose test has ended: nothing to tell. */
          delete queue[id];
          persist();
          pump();
        } else if (data && data.error === 'token_required') {
          leaving = true;
          window.location.href = '/confirm?e=token_required';
        } else if (data && data.error === 'time_up') {
          delete queue[id]; persist(); ended('timeout');
        } else if (data && data.error === 'force_finished') {
          delete queue[id]; persist(); ended('proctor');
        } else {
          /* A rule refused it (time up, finished...): the server page says what to do. */
          delete queue[id];
          persist();
          show(data && data.message ? data.message : 'Error ' + status, 'error');
          setTimeout(function () { window.location.reload(); }, 2500);
        }
      });
    }

    /* The chosen options are highlighted, not only their radio buttons or boxes. */
    function markChosen() {
      var labels = form.querySelectorAll('label.option');
      for (var i = 0; i < labels.length; i++) {
        var input = labels[i].getElementsByTagName('input')[0];
        var cls = labels[i].className.replace(/\s*\bchosen\b/g, '');
        labels[i].className = input && input.checked ? cls + ' chosen' : cls;
      }
    }

    form.addEventListener('change', function (e) {
      markChosen();
      if (e.target && e.target.name === 'text') { return; }
      enqueue();
    });
    form.addEventListener('input', function (e) {
      if (!e.target || e.target.name !== 'text') { return; }
      dirty = true;
      if (textTimer) { clearTimeout(textTimer); }
      textTimer = setTimeout(function () { textTimer = null; enqueue(); }, 800);
    });

    var clicked = null;
    var buttons = form.querySelectorAll('button[name=go]');
    for (var b = 0; b < buttons.length; b++) {
      buttons[b].addEventListener('click', function () { clicked = this.value; });
    }
    form.addEventListener('submit', function (e) {
      var go = clicked || 'save';
      clicked = null;
      if (go === 'clear') {
        e.preventDefault();
        var els = form.elements;
        for (var c = 0; c < els.length; c++) {
          if (els[c].name === 'doubtful') { continue; }
          if (els[c].type === 'radio' || els[c].type === 'checkbox') { els[c].checked = false; }
          else if (els[c].tagName === 'SELECT' || els[c].name === 'text') { els[c].value = ''; }
        }
        markChosen();
        enqueue();
        return;
      }
      if (go === 'practice_end') {
        /* A real POST is needed; make sure the answer is saved first. */
        e.preventDefault();
        if (textTimer) { clearTimeout(textTimer); textTimer = null; }
        if (dirty) { enqueue(); }
        afterFlush = function () { var h = document.createElement('input'); h.type = 'hidden'; h.name = 'go'; h.value = 'practice_end'; form.appendChild(h); form.submit(); };
        pump();
        return;
      }
      e.preventDefault();
      if (textTimer) { clearTimeout(textTimer); textTimer = null; }
      if (dirty) { enqueue(); }
      var target = null;
      if (go === 'prev') { target = '/exam/' + Math.max(1, n - 1); }
      else if (go === 'next') { target = '/exam/' + Math.min(total, n + 1); }
      else if (go === 'finish') { target = '/finish'; }
      else if (/^\d+$/.test(go)) { target = '/exam/' + go; }
      afterFlush = target ? function () { window.location.href = target; } : null;
      pump();
    });

    /* A timed practice counts down to the test, which starts by itself: the page then shows it. */
    function toTest() { leaving = true; window.location.href = '/exam/1'; }
    var timer = startTimer($('timer'), parseInt(form.getAttribute('data-remaining-ms'), 10), function () {
      afterFlush = timedPractice ? function () { setTimeout(toTest, 1500); } : function () { ended('timeout'); };
      pump();
    }, timedPractice ? 0 : parseInt(form.getAttribute('data-warning-ms'), 10));

    setInterval(function () {
      xhr('POST', '/api/v1/heartbeat', {}, function (status, data) {
        if (status === 200 && data) {
          if (data.ended) { afterFlush = function () { ended(data.ended); }; pump(); return; }
          if (data.test !== testId) { afterFlush = function () { window.location.reload(); }; pump(); return; }
          if (timedPractice && data.phase === 'in_progress') { afterFlush = toTest; pump(); return; }
          /* A pause stops the practice's time: follow the board's count. */
          if (timer && timedPractice && typeof data.practice_remaining_ms === 'number') { timer.resync(data.practice_remaining_ms); }
          if (timer && typeof data.remaining_ms === 'number' && data.phase === 'in_progress') { timer.resync(data.remaining_ms); }
        } else if (status === 401) {
          leaving = true;
          window.location.href = '/?e=' + (data && data.error ? data.error : 'logged_out');
        }
      });
    }, 15000);

    window.addEventListener('beforeunload', function (e) {
      if (!leaving && (pendingCount() > 0 || dirty)) { e.returnValue = T.retry || ''; return T.retry || ''; }
    });

    if (pendingCount() > 0) { pump(); }
  }

  /* ---- font size: no reload needed (without a script the buttons save the answer, then
     change the size) ---- */
  function fonts() {
    var links = document.querySelectorAll('.fonts [data-fs]');
    for (var i = 0; i < links.length; i++) {
      links[i].addEventListener('click', function (e) {
        e.preventDefault();
        var s = this.getAttribute('data-fs');
        document.cookie = 'ruji_fs=' + s + '; path=/; SameSite=Lax';
        document.body.className = document.body.className.replace(/\bfs\d\b/g, '') + ' fs' + s;
      });
    }
  }

  /* ---- proctor dashboard: the console follows /proctor/live (server-sent events); a browser
     without EventSource, or refused a place (503), polls status.json; without a script the
     page refreshes itself ---- */
  function esc(t) {
    return String(t === null || t === undefined ? '' : t).replace(/&/g, '&amp;').replace(/</g, '&lt;')
      .replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  }
  function dashboard() {
    var tiles = $('tiles');
    function drawMap(data) {
      if (!tiles || !data.map) { return; }
      var html = '';
      for (var i = 0; i < data.map.length; i++) {
        var m = data.map[i];
        if (m.row !== undefined) {
          var r = data.rows[m.row];
          html += '<div class="tile lk-' + esc(r.look) + '" id="tile-' + esc(r.username) + '" title="' +
            esc(r.username + ' ' + r.name + ' ' + r.client) + '"><span class="t-seat">' + esc(r.seat) +
            '</span><b class="t-user">' + esc(r.username) + '</b><span class="t-name">' + esc(r.name) +
            '</span><span class="t-look">' + esc(r.label) + '</span><span class="t-prog">' + r.answered + '/' +
            r.items + '</span><span class="t-rem">' + esc(r.remaining) + '</span></div>';
        } else {
          html += '<div class="tile empty' + (m.on ? ' pc-on' : '') + '" title="' + esc(m.ip) +
            '"><span class="t-seat">' + m.seat + '</span><span class="t-name">' +
            esc(tiles.getAttribute('data-empty')) + '</span><span class="t-look">' + esc(m.ip) + '</span></div>';
        }
      }
      tiles.innerHTML = html;
    }
    function apply(data) {
      /* The board's attention reasons changed (e.g. results downloaded): show the new list. */
      var att = (data.attention || []).join(',');
      if ($('dashboard').getAttribute('data-attention') !== att) { window.location.reload(); return; }
      if (!data.session) { if ($('token')) { window.location.reload(); } return; }
      if (!$('token') || !!$('paused') !== !!data.paused) { window.location.reload(); return; }
      if (data.token && $('token').innerHTML !== data.token.token) { $('token').innerHTML = data.token.token; }
      if (data.token && $('rotates') && data.token.rotates_in_ms !== null) { $('rotates').innerHTML = hms(data.token.rotates_in_ms); }
      if ($('ends-in') && data.ends_in) { $('ends-in').innerHTML = esc(data.ends_in); }
      drawMap(data);
      for (var i = 0; i < data.rows.length; i++) {
        var r = data.rows[i];
        var row = $('row-' + r.username);
        /* Filtered out of the list: nothing to update. */
        if (!row) { continue; }
        /* The classes say which of the row's actions apply (the style sheet hides the rest). */
        row.className = 'st-' + r.state + ' lk-' + r.look + (/\bcan-activate\b/.test(row.className) ? ' can-activate' : '');
        row.querySelector('.c-seat').innerHTML = esc(r.seat);
        row.querySelector('.c-state').innerHTML = esc(r.label);
        row.querySelector('.c-test').innerHTML = esc(r.test || '');
        row.querySelector('.c-answered').innerHTML = r.answered + '/' + r.items;
        row.querySelector('.c-remaining').innerHTML = esc(r.remaining);
        row.querySelector('.c-online').innerHTML = '<span class="dot ' + (r.online ? 'on' : 'off') + '"></span>';
        row.querySelector('.c-client').innerHTML = esc(r.client);
      }
      /* Filtered list: someone now matches, or no longer does. The page shows the new list,
       * unless the proctor is in the middle of an action there. */
      var show = $('list-show') ? $('list-show').value : '';
      if (show) {
        var want = [], have = [], k;
        for (k = 0; k < data.rows.length; k++) {
          if (show === 'attention' ? data.rows[k].attention : data.rows[k].look === show) { want.push(data.rows[k].username); }
        }
        var trs = document.querySelectorAll('table.participants tbody tr');
        for (k = 0; k < trs.length; k++) { have.push(trs[k].getAttribute('data-username')); }
        var busy = document.querySelector('details.row-actions[open]') ||
          (document.activeElement && document.activeElement.tagName === 'INPUT');
        if (want.sort().join(' ') !== have.sort().join(' ') && !busy) { window.location.reload(); return; }
      }
      if ($('c-not') && data.counts) { $('c-not').innerHTML = data.counts[0]; $('c-prog').innerHTML = data.counts[1]; $('c-done').innerHTML = data.counts[2]; }
      $('dashboard').setAttribute('data-live', String(new Date().getTime()));
    }
    var polling = null;
    function poll() {
      xhr('GET', '/proctor/status.json', null, function (status, data) {
        if (status === 401) { window.location.reload(); return; }
        if (status === 200 && data) { apply(data); }
      });
    }
    function startPolling() { if (!polling) { polling = setInterval(poll, 3000); } }
    if (window.EventSource) {
      var es = new EventSource('/proctor/live');
      es.addEventListener('console', function (e) {
        var data = null;
        try { data = JSON.parse(e.data); } catch (x) { data = null; }
        if (data) { $('dashboard').setAttribute('data-via', 'live'); apply(data); }
      });
      /* Refused (no place left, logged out) the stream is closed for good: poll instead (a
       * dropped link reconnects by itself). */
      es.onerror = function () { if (es.readyState === 2) { $('dashboard').setAttribute('data-via', 'poll'); startPolling(); } };
    } else {
      startPolling();
    }
    /* The list's filter and order apply as soon as they are chosen. */
    var lform = $('list-form');
    if (lform) {
      var sels = lform.getElementsByTagName('select');
      for (var k = 0; k < sels.length; k++) { sels[k].onchange = function () { lform.submit(); }; }
    }
  }

  var form = $('item-form');
  if (form && window.XMLHttpRequest && form.addEventListener) { itemPage(form); fonts(); }
  var fin = $('finish-page');
  if (fin) { startTimer($('timer'), parseInt(fin.getAttribute('data-remaining-ms'), 10), function () { window.location.href = '/done?r=timeout'; }); }
  if ($('dashboard')) { dashboard(); }

  // Times on the sync report in the browser's own time zone.
  var stamps = document.querySelectorAll ? document.querySelectorAll('[data-ts]') : [];
  for (var si = 0; si < stamps.length; si++) {
    var d = new Date(parseInt(stamps[si].getAttribute('data-ts'), 10) * 1000);
    stamps[si].innerHTML = d.toLocaleString();
  }

  // The board's clock from this browser (the dashboard's "clock not set"): the form shows this
  // computer's local time, ticking, and sends its exact time, unless the proctor corrects the
  // shown time or zone; then the typed time is sent.
  var cf = $('clock-form');
  if (cf && cf.addEventListener) {
    var cLocal = $('clock-local'), cZone = $('clock-zone'), edited = false;
    var showNow = function () {
      if (edited) { return; }
      var d = new Date();
      cLocal.value = d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' +
        pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
    };
    var off = -new Date().getTimezoneOffset();
    if (off === 420 || off === 480 || off === 540) { cZone.value = String(off); }
    cLocal.addEventListener('input', function () { edited = true; });
    cZone.addEventListener('change', function () { edited = true; });
    cf.addEventListener('submit', function () { $('clock-ms').value = edited ? '' : String(new Date().getTime()); });
    showNow();
    setInterval(showNow, 1000);
  }

  // Login: the button says the login is being processed, and a second press sends nothing
  // (the server would join it to the first anyway).
  var lf = $('login-form');
  if (lf && lf.addEventListener) {
    var sent = false;
    lf.addEventListener('submit', function (ev) {
      if (sent) { ev.preventDefault(); return; }
      sent = true;
      var b = lf.querySelector('button');
      if (b && b.getAttribute('data-busy')) { b.innerHTML = b.getAttribute('data-busy'); b.className += ' busy'; }
    });
  }

  // Package upload with a progress bar; without JS (or FormData) the form posts normally.
  var up = $('pkg-upload');
  if (up && window.FormData && window.XMLHttpRequest && up.addEventListener) {
    up.addEventListener('submit', function (ev) {
      var xhr = new XMLHttpRequest();
      if (!xhr.upload) { return; }
      ev.preventDefault();
      var bar = $('pkg-progress'), pct = $('pkg-percent');
      bar.style.display = '';
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) {
          var p = Math.floor(e.loaded * 100 / e.total);
          bar.value = p; pct.innerHTML = p + '%';
        }
      };
      xhr.onload = function () {
        if (xhr.responseURL && xhr.responseURL.indexOf('/proctor/package/upload') < 0) { window.location.href = xhr.responseURL; return; }
        document.open(); document.write(xhr.responseText); document.close();
      };
      xhr.onerror = function () { pct.innerHTML = '!'; up.submit(); };
      xhr.open('POST', up.getAttribute('action'));
      xhr.send(new FormData(up));
    });
  }
}());
