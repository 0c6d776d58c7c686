export default { init(section) { section.textContent = "alerts"; }, enter() {}, leave() {} };
