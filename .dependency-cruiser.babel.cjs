// Babel options dependency-cruiser reads TypeScript with (plugins resolved from here, whatever the working folder).
module.exports = {
  presets: [[require.resolve('@babel/preset-typescript'), { onlyRemoveTypeImports: true }]],
  plugins: [[require.resolve('@babel/plugin-syntax-decorators'), { legacy: true }]],
};
