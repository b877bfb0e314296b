// Runs before the generated code (ES modules evaluate in import order): decode the uint64 fields
// (player and room ids, ticks, times) as plain JS numbers in every environment. protobufjs would
// otherwise return Long objects in node (where the `long` package is found) and numbers in a
// bundle. Rookery's ids and ticks stay far below 2^53.
import $protobuf from 'protobufjs/minimal.js';

$protobuf.util.Long = null;
$protobuf.configure();

export default $protobuf;
