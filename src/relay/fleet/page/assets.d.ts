// The page's script and stylesheet are imported as text (`with { type: "text" }`) and served as they are.
declare module "*.css" {
  const text: string;
  export default text;
}
declare module "*.js.txt" {
  const text: string;
  export default text;
}
