// The privacy page's forms: send a request, confirm it (verification), and check its status.
// Everything shown is set with textContent, never innerHTML.
"use strict";

(function () {
  var STATUS_KEY = "privacydesk:status:";

  function show(box, nodes) {
    box.replaceChildren.apply(box, nodes);
    box.hidden = false;
    box.focus();
  }

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function when(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    return isNaN(d.getTime()) ? String(iso) : d.toLocaleString(undefined, { dateStyle: "long", timeStyle: "short" });
  }

  function errorText(reply, data) {
    var error = data && data.error;
    if (error && error.message) return error.message + (error.code ? " (" + error.code + ")" : "");
    return "The request could not be completed (HTTP " + reply.status + "). Please try again later.";
  }

  async function call(method, url, body, headers) {
    var options = { method: method, headers: Object.assign({ Accept: "application/json" }, headers || {}) };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    var reply = await fetch(url, options);
    var data = null;
    try { data = await reply.json(); } catch (e) { data = null; }
    return { reply: reply, data: data };
  }

  // ---------------------------------------------------------------- request form
  function setupRequestForm(form) {
    var errorBox = document.getElementById("request-error");
    var resultBox = document.getElementById("request-result");

    function syncType() {
      var type = form.elements.type.value;
      form.querySelectorAll("[data-for-type]").forEach(function (group) {
        group.hidden = group.getAttribute("data-for-type") !== type;
      });
    }
    form.addEventListener("change", function (event) {
      if (event.target.name === "type") syncType();
    });
    syncType();

    function bodyOf() {
      var f = form.elements;
      var body = { type: f.type.value };
      ["email", "phone", "name", "details"].forEach(function (key) {
        var value = f[key].value.trim();
        if (value) body[key] = value;
      });
      if (body.type === "update") {
        var corrections = {};
        ["name", "email", "phone", "company"].forEach(function (key) {
          var value = f["correction-" + key].value.trim();
          if (value) corrections[key] = value;
        });
        body.corrections = corrections;
      }
      if (body.type === "object") {
        body.purposes = Array.prototype.filter.call(form.querySelectorAll("input[name=purposes]"), function (box) {
          return box.checked;
        }).map(function (box) { return box.value; });
      }
      return body;
    }

    function markInvalid(fields) {
      form.querySelectorAll("[aria-invalid]").forEach(function (node) { node.removeAttribute("aria-invalid"); });
      (fields || []).forEach(function (field) {
        var name = (field.location || []).slice(-1)[0];
        var input = form.elements[name];
        if (input && input.setAttribute) input.setAttribute("aria-invalid", "true");
      });
    }

    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      errorBox.hidden = true;
      var body = bodyOf();
      if (!body.email && !body.phone) {
        markInvalid([{ location: ["email"] }, { location: ["phone"] }]);
        show(errorBox, [el("p", "Please give your email address or your mobile number.")]);
        return;
      }
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        var result = await call("POST", "/v1/requests", body);
        if (result.reply.status === 202 || result.reply.status === 200 || result.reply.status === 201) {
          markInvalid([]);
          var receipt = result.data || {};
          if (receipt.status_token) {
            try { localStorage.setItem(STATUS_KEY + receipt.request_id, receipt.status_token); } catch (e) { /* private mode */ }
          }
          var statusLink = el("a", "Check its status", {
            href: "/privacy/status?request=" + encodeURIComponent(receipt.request_id || ""),
          });
          var nodes = [
            el("h3", "Request received"),
            el("p", "Your request id is "),
          ];
          nodes[1].appendChild(el("strong", receipt.request_id, { id: "request-id" }));
          nodes.push(el("p", body.type === "inquiry"
            ? "We will answer your question."
            : "We have sent you a message to confirm that it is you. We act on the request once you confirm it."));
          if (receipt.acknowledge_by) nodes.push(el("p", "We will acknowledge it by " + when(receipt.acknowledge_by) + "."));
          if (receipt.respond_by) nodes.push(el("p", "We will respond by " + when(receipt.respond_by) + "."));
          if (receipt.status_token) {
            var code = el("p", "Your status code (keep it to check on your request): ");
            code.appendChild(el("code", receipt.status_token, { id: "status-code" }));
            nodes.push(code);
          }
          var linkLine = el("p");
          linkLine.appendChild(statusLink);
          nodes.push(linkLine);
          form.reset();
          syncType();
          show(resultBox, nodes);
        } else {
          markInvalid(result.data && result.data.error && result.data.error.fields);
          show(errorBox, [el("p", errorText(result.reply, result.data))]);
        }
      } catch (e) {
        show(errorBox, [el("p", "We could not reach the server. Please check your connection and try again.")]);
      } finally {
        button.disabled = false;
      }
    });
  }

  // ---------------------------------------------------------------- verification
  function setupVerifyForm(form) {
    var errorBox = document.getElementById("verify-error");
    var resultBox = document.getElementById("verify-result");
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      var requestId = form.getAttribute("data-request");
      var button = form.querySelector("button");
      button.disabled = true;
      errorBox.hidden = true;
      try {
        var result = await call("POST", "/v1/requests/" + encodeURIComponent(requestId) + "/verify", {
          token: form.getAttribute("data-token"),
        });
        if (result.reply.ok) {
          var link = el("a", "Check its status", { href: "/privacy/status?request=" + encodeURIComponent(requestId) });
          var line = el("p");
          line.appendChild(link);
          form.hidden = true;
          show(resultBox, [el("h2", "Thank you, your request is confirmed"), el("p", "We are working on it."), line]);
        } else {
          show(errorBox, [el("p", errorText(result.reply, result.data))]);
          button.disabled = false;
        }
      } catch (e) {
        show(errorBox, [el("p", "We could not reach the server. Please try again.")]);
        button.disabled = false;
      }
    });
  }

  // ---------------------------------------------------------------- status
  function setupStatusForm(form) {
    var errorBox = document.getElementById("status-error");
    var resultBox = document.getElementById("status-result");
    var requestInput = form.elements.request;
    var tokenInput = form.elements.token;
    function remembered() {
      try { return localStorage.getItem(STATUS_KEY + requestInput.value.trim()) || ""; } catch (e) { return ""; }
    }
    if (!tokenInput.value) tokenInput.value = remembered();
    requestInput.addEventListener("change", function () { if (!tokenInput.value) tokenInput.value = remembered(); });

    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      errorBox.hidden = true;
      var requestId = requestInput.value.trim();
      var token = tokenInput.value.trim();
      if (!requestId || !token) {
        show(errorBox, [el("p", "Please enter both the request id and the status code.")]);
        return;
      }
      try {
        var result = await call("GET", "/v1/requests/" + encodeURIComponent(requestId), undefined, {
          Authorization: "Bearer " + token,
        });
        if (!result.reply.ok) {
          show(errorBox, [el("p", errorText(result.reply, result.data))]);
          return;
        }
        var data = result.data || {};
        var list = el("dl");
        [
          ["Request id", data.request_id],
          ["Type", data.type],
          ["Status", data.status],
          ["Received", when(data.received_at)],
          ["Acknowledge by", when(data.acknowledge_by)],
          ["Respond by", when(data.respond_by)],
          ["Closed", when(data.closed_at)],
        ].forEach(function (row) {
          if (!row[1]) return;
          list.appendChild(el("dt", row[0]));
          list.appendChild(el("dd", row[1]));
        });
        show(resultBox, [el("h2", "Your request"), list]);
      } catch (e) {
        show(errorBox, [el("p", "We could not reach the server. Please try again.")]);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var requestForm = document.getElementById("request-form");
    if (requestForm) setupRequestForm(requestForm);
    var verifyForm = document.getElementById("verify-form");
    if (verifyForm) setupVerifyForm(verifyForm);
    var statusForm = document.getElementById("status-form");
    if (statusForm) setupStatusForm(statusForm);
  });
})();
