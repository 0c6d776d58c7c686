export default { init(section) { section.textContent = "hosts"; }, enter() {}, leave() {} };
