export default { init(section) { section.textContent = "dashboards"; }, enter() {}, leave() {} };
