// Package questions is hiddendim's text-questions kind of task: visual
// question answering on clevrlite's questions in words.
package questions
