exports.VERSION = 'one';
exports.greeting = (name) => `pipeline-app ${exports.VERSION} says hello to ${name}`;
