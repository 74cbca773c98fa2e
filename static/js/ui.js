// Loaded in <head>: tells the stylesheet that scripts run, so parts that need them (the filter drawer) may hide.
document.documentElement.classList.add("js");
