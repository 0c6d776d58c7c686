export default { init(section) { section.textContent = "status"; }, enter() {}, leave() {} };
