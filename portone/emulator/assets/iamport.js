/* payresult's offline stand-in for PortOne's https://cdn.iamport.kr/v1/iamport.js.
 * IMP.init(code); IMP.request_pay(params, callback).
 * The redirect flow is taken when m_redirect_url is given and the device is
 * mobile, or on PC when params.popup === false; otherwise the window opens
 * over the page and the callback gets the response object. */
(function () {
  "use strict";
  var configured = __PUBLIC_BASE__;
  var script = document.currentScript;
  var base = configured || (script ? script.src.replace(/\/v1\/iamport\.js(\?.*)?$/, "") : "");
  var merchantCode = null;

  function isMobile() {
    return /Mobi|Android|iPhone|iPad|iPod/i.test(navigator.userAgent);
  }

  function post(path, body) {
    // text/plain keeps the request "simple": no CORS preflight.
    return fetch(base + path, {
      method: "POST",
      headers: { "Content-Type": "text/plain;charset=UTF-8" },
      body: JSON.stringify(body)
    }).then(function (r) { return r.json(); });
  }

  function openOverlay(url, callback) {
    var frame = document.createElement("iframe");
    frame.src = url;
    frame.id = "payresult-imp-window";
    frame.setAttribute("style", "position:fixed;inset:0;width:100%;height:100%;border:0;z-index:2147483647;background:rgba(0,0,0,.45)");
    function onMessage(ev) {
      if (ev.source !== frame.contentWindow || !ev.data || ev.data.type !== "payresult-imp") return;
      window.removeEventListener("message", onMessage);
      frame.parentNode && frame.parentNode.removeChild(frame);
      if (ev.data.response && typeof callback === "function") callback(ev.data.response);
    }
    window.addEventListener("message", onMessage);
    document.body.appendChild(frame);
  }

  var IMP = {
    init: function (code) { merchantCode = code; },
    agency: function (code) { merchantCode = code; },
    request_pay: function (params, callback) {
      params = params || {};
      var redirect = !!params.m_redirect_url && (isMobile() || params.popup === false);
      var body = {};
      for (var k in params) if (Object.prototype.hasOwnProperty.call(params, k)) body[k] = params[k];
      if (body.custom_data !== undefined && typeof body.custom_data !== "string") body.custom_data = JSON.stringify(body.custom_data);
      body.imp_code = merchantCode;
      body.mode = redirect ? "redirect" : "callback";
      body.mobile = isMobile();
      body.user_agent = navigator.userAgent;
      post("/window/open", body).then(function (ans) {
        if (!ans.ok) {
          if (redirect && ans.redirect_url) { window.location.href = ans.redirect_url; return; }
          if (typeof callback === "function") callback(ans.response);
          return;
        }
        var url = base + "/window/" + encodeURIComponent(ans.imp_uid);
        if (redirect) { window.location.href = url; return; }
        openOverlay(url, callback);
      }, function (err) {
        if (typeof callback === "function") {
          callback({ imp_success: false, imp_uid: null, merchant_uid: params.merchant_uid, error_code: "NETWORK", error_msg: String(err) });
        }
      });
    }
  };
  window.IMP = IMP;
})();
