// Package chart draws the scorecard digest's chart: the grade distribution
// of a team's services week by week, as stacked bars in a PNG.
package chart
