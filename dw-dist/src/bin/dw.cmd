@echo off
rem dw: the dw-java command line of this distribution (dw-java @project.version@, natives @pytorch.classifier@).
rem Needs a Java 17+ runtime: JAVA_HOME, else java on PATH. DW_JAVA_OPTS adds JVM options (e.g. -Xmx16g).
setlocal
set "DW_HOME=%~dp0.."
if defined JAVA_HOME (set "JAVA=%JAVA_HOME%\bin\java") else (set "JAVA=java")
"%JAVA%" @dw.jvm.args@ %DW_JAVA_OPTS% "-Ddw.home=%DW_HOME%" -cp "%DW_HOME%\lib\*" @dw.main@ %*
