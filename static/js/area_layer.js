// Draws the map's areas for one date.  Loaded once per page (a static file served by the app);
// each date's script only calls drawAreas with a palette and three numbers per area.
//   url     static geometry file (fetched once per page and kept; synchronous, so the layers
//           exist when streamlit-folium wires its click handlers)
//   palette [fillColor, fillOpacity, color, weight, dashArray] per distinct style
//   labels  state labels ("Taliban (claimed only)", …)
//   cells   per feature, in geometry order: [palette index, label index, confidence % or -1]
// Area names reach the tooltip as text nodes, never as HTML.
window.drawAreas = function (group, url, palette, labels, cells) {
  var cache = window.__areaGeometry = window.__areaGeometry || {};
  if (!cache[url]) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url, false);
    xhr.send(null);
    if (xhr.status !== 200) { console.error("area geometry not loaded: " + url); return; }
    cache[url] = JSON.parse(xhr.responseText);
  }
  function styleOf(f) {
    var p = palette[cells[f.properties.i][0]];
    return {className: f.properties.css, fillColor: p[0], fillOpacity: p[1], color: p[2], weight: p[3], dashArray: p[4]};
  }
  L.geoJson(cache[url], {
    style: styleOf,
    onEachFeature: function (f, l) {
      l.bindTooltip(function () {
        var el = document.createElement("div"), b = document.createElement("b"), c = cells[f.properties.i];
        b.textContent = f.properties.name;
        el.appendChild(b);
        el.appendChild(document.createElement("br"));
        el.appendChild(document.createTextNode(labels[c[1]] + (c[2] >= 0 ? " · confidence " + c[2] + "%" : "")));
        return el;
      }, {sticky: true});
      l.on("mouseover", function () { l.setStyle({weight: 3, color: "#000000"}); });
      l.on("mouseout", function () { l.setStyle(styleOf(f)); });
    }
  }).addTo(group);
};
