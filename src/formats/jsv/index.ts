export {
  getJsvField,
  isDotNetMinDate,
  isJsvList,
  isJsvMap,
  type JsvList,
  type JsvMap,
  JsvSyntaxError,
  type JsvValue,
  jsvToBoolean,
  jsvToDate,
  jsvToNumber,
  parseJsv,
} from "./parse.js";
export { stringifyJsv } from "./stringify.js";
