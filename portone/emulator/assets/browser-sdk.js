/* payresult's offline stand-in for PortOne V2's https://cdn.portone.io/v2/browser-sdk.js.
 * It defines window.PortOne with the SDK's surface, so that pages using the script directly
 * and pages built on the npm package @portone/browser-sdk (whose loader uses a window.PortOne
 * that is already defined, or loads the URL given to __INTERNAL__setPortOneSdkUrl) work unchanged.
 *
 * PortOne.requestPayment(request):
 * - refuses, before any window opens, a request PortOne's checkout server refuses: the promise
 *   rejects with a PaymentError (code, message), never redirected;
 * - redirects to the window, and from it to redirectUrl with paymentId, transactionType, txId
 *   (and code, message, pgCode, pgMessage on failure), when redirectUrl is given and the device
 *   is mobile, forceRedirect is true, or windowType asks for REDIRECTION;
 * - otherwise opens the window over the page and resolves with the PaymentResponse. */
(function () {
  "use strict";
  var configured = __PUBLIC_BASE__;
  var script = document.currentScript;
  var base = configured || (script ? script.src.replace(/\/v2\/browser-sdk\.js(\?.*)?$/, "") : "");

  function isMobile() {
    return /Mobi|Android|iPhone|iPad|iPod/i.test(navigator.userAgent);
  }

  // PortOne's error classes: plain Errors marked with __portOneErrorType, which the npm
  // package's isPaymentError and instanceof checks read.
  function defineError(type, transactionType, fields) {
    function PortOneSdkError(init) {
      init = init || {};
      var err = new Error(init.message);
      Object.setPrototypeOf(err, PortOneSdkError.prototype);
      err.__portOneErrorType = type;
      if (transactionType) err.transactionType = transactionType;
      for (var i = 0; i < fields.length; i++) err[fields[i]] = init[fields[i]];
      err.name = type;
      return err;
    }
    PortOneSdkError.prototype = Object.create(Error.prototype);
    PortOneSdkError.prototype.constructor = PortOneSdkError;
    Object.defineProperty(PortOneSdkError, Symbol.hasInstance, {
      value: function (x) { return x != null && typeof x === "object" && x.__portOneErrorType === type; }
    });
    return PortOneSdkError;
  }
  var PaymentError = defineError("PaymentError", "PAYMENT", ["code", "message", "txId", "paymentId", "pgCode", "pgMessage"]);
  var ModuleError = defineError("ModuleError", "", ["code", "message"]);

  function unsupported(name) {
    return function () {
      return Promise.reject(new ModuleError({
        code: "Unimplemented",
        message: "payresult sandbox: PortOne." + name + " is not emulated; only requestPayment is"
      }));
    };
  }

  function openOverlay(url, resolve) {
    var frame = document.createElement("iframe");
    frame.src = url;
    frame.id = "payresult-portone-window";
    frame.setAttribute("style", "position:fixed;inset:0;width:100%;height:100%;border:0;z-index:2147483647;background:rgba(0,0,0,.45)");
    function onMessage(ev) {
      if (ev.source !== frame.contentWindow || !ev.data || ev.data.type !== "payresult-portone-v2") return;
      window.removeEventListener("message", onMessage);
      if (frame.parentNode) frame.parentNode.removeChild(frame);
      resolve(ev.data.response);
    }
    window.addEventListener("message", onMessage);
    document.body.appendChild(frame);
  }

  function requestPayment(request) {
    return new Promise(function (resolve, reject) {
      if (request == null || typeof request !== "object") {
        reject(new PaymentError({ code: "BadRequest", message: "결제요청 파라메터가 누락되었습니다." }));
        return;
      }
      var mobile = isMobile();
      var windowType = request.windowType && request.windowType[mobile ? "mobile" : "pc"];
      var redirect = !!request.redirectUrl && (mobile || request.forceRedirect === true || windowType === "REDIRECTION");
      var body = {};
      for (var k in request) if (Object.prototype.hasOwnProperty.call(request, k)) body[k] = request[k];
      body.__mode = redirect ? "redirect" : "promise";
      body.__mobile = mobile;
      body.__userAgent = navigator.userAgent;
      body.__pageUrl = window.location.href;
      // text/plain keeps the request "simple": no CORS preflight.
      fetch(base + "/v2/window/open", {
        method: "POST",
        headers: { "Content-Type": "text/plain;charset=UTF-8" },
        body: JSON.stringify(body)
      }).then(function (r) { return r.json(); }).then(function (ans) {
        if (!ans.ok) {
          reject(new PaymentError({ code: ans.code, message: ans.message, paymentId: request.paymentId }));
          return;
        }
        var url = base + "/v2/window/" + encodeURIComponent(ans.txId);
        if (redirect) {
          window.location.href = url;
          return;
        }
        openOverlay(url, resolve);
      }, function (err) {
        reject(new PaymentError({
          code: "UnknownError",
          message: "결제 창 호출에 실패하였습니다. " + (err && err.message),
          paymentId: request.paymentId
        }));
      });
    });
  }

  window.PortOne = {
    requestPayment: requestPayment,
    requestIdentityVerification: unsupported("requestIdentityVerification"),
    requestIssueBillingKey: unsupported("requestIssueBillingKey"),
    requestIssueBillingKeyAndPay: unsupported("requestIssueBillingKeyAndPay"),
    loadPaymentUI: unsupported("loadPaymentUI"),
    loadIssueBillingKeyUI: unsupported("loadIssueBillingKeyUI"),
    updateLoadPaymentUIRequest: unsupported("updateLoadPaymentUIRequest"),
    updateLoadIssueBillingKeyUIRequest: unsupported("updateLoadIssueBillingKeyUIRequest")
  };
})();
